# kuroko messages (commands), Japanese. Same ids in the same order as ../en/commands.ftl (a test checks).

