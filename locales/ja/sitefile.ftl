# kuroko messages (sitefile), Japanese. Same ids in the same order as ../en/sitefile.ftl (a test checks).

