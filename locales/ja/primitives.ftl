# kuroko messages (primitives), Japanese. Same ids in the same order as ../en/primitives.ftl (a test checks).

