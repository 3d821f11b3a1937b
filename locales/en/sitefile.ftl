# kuroko messages (sitefile), English. Same ids in the same order as ../ja/sitefile.ftl (a test checks).

