# kuroko messages (commands), English. Same ids in the same order as ../ja/commands.ftl (a test checks).

