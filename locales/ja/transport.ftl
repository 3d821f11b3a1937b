# kuroko messages (transport: connections, host keys, archives, manifests, server paths), ja. Same ids in the same order as the other language (a test checks).

