#!/bin/bash
# genconf.sh N: an iked.conf with N distinct PSK policies between
# documentation networks (198.51.100.0/24 and 203.0.113.0/24 split into
# /32 hosts, peers in 192.0.2.0/24).
n=${1:-1000}
awk -v n="$n" 'BEGIN {
	for (i = 0; i < n; i++) {
		a = int(i / 256) % 256; b = i % 256
		printf("ikev2 \"p%d\" esp proto tcp from 198.51.100.%d port %d " \
		    "to 203.0.113.%d port %d peer 192.0.2.%d " \
		    "psk \"secret-%08d-0123456789\"\n",
		    i, b, 1024 + int(i / 256), a, 1 + i % 60000, 1 + i % 254, i)
	}
}'
