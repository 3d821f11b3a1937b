# kuroko messages (primitives), English. Same ids in the same order as ../ja/primitives.ftl (a test checks).

