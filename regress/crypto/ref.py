#!/usr/bin/env python3
"""
Reference computations for regress/crypto/test.sh: the IKEv2 key schedule
(RFC 7296 2.13, 2.14, 2.17, 2.18), PSK AUTH (2.15) and the Encrypted
payload (3.14, RFC 5282), written from the RFCs and independent of
ikerund/crypto.c.  The key schedule and AUTH need only the standard
library; the SK payload and Diffie-Hellman need the "cryptography" module
(Debian python3-cryptography): "ref.py have-cryptography" says whether it
is there.

Each command takes hex arguments and prints what "cryptotest" prints for
the same command, so that test.sh can compare the two outputs as text.
It also made the known answers that cryptotest.c embeds for machines
without python3, with the commands written beside them there.
"""
import hashlib
import hmac
import os
import subprocess
import sys

PRF = {2: hashlib.sha1, 5: hashlib.sha256, 6: hashlib.sha384,
       7: hashlib.sha512}
INTEG = {2: (hashlib.sha1, 20, 12), 12: (hashlib.sha256, 32, 16),
         13: (hashlib.sha384, 48, 24), 14: (hashlib.sha512, 64, 32)}
GCM_ICV = {18: 8, 19: 12, 20: 16}


def prf(alg, key, data):
    return hmac.new(key, data, PRF[alg]).digest()


def prf_plus(alg, key, seed, n):
    out, t, i = b"", b"", 1
    while len(out) < n:
        if i > 255:
            raise ValueError("prf+ longer than 255 blocks")
        t = prf(alg, key, t + seed + bytes([i]))
        out += t
        i += 1
    return out[:n]


def lengths(encr, bits, integ, alg):
    """(SK_d/SK_p, SK_a, SK_e) lengths of an IKE SA suite."""
    plen = PRF[alg]().digest_size
    if encr in GCM_ICV:
        return plen, 0, bits // 8 + 4
    return plen, INTEG[integ][1], bits // 8


def ike_keys(alg, encr, bits, integ, skeyseed, ni, nr, spii, spir):
    plen, alen, elen = lengths(encr, bits, integ, alg)
    km = prf_plus(alg, skeyseed, ni + nr + spii + spir,
                  3 * plen + 2 * alen + 2 * elen)
    out, off = [], 0
    for name, n in (("SK_d", plen), ("SK_ai", alen), ("SK_ar", alen),
                    ("SK_ei", elen), ("SK_er", elen), ("SK_pi", plen),
                    ("SK_pr", plen)):
        out.append((name, km[off:off + n]))
        off += n
    return out


def h(b):
    return b.hex()


def x(s):
    return b"" if s == "-" else bytes.fromhex(s)


def cmd_prfplus(a):
    print(h(prf_plus(int(a[0]), x(a[1]), x(a[2]), int(a[3]))))


def cmd_ikekeys(a):
    alg, encr, bits, integ = (int(v) for v in a[:4])
    gir, ni, nr, spii, spir = (x(v) for v in a[4:9])
    seed = prf(alg, ni + nr, gir)
    print("SKEYSEED", h(seed))
    for name, k in ike_keys(alg, encr, bits, integ, seed, ni, nr, spii,
                            spir):
        print(name, h(k))


def cmd_rekey(a):
    oldalg = int(a[0])
    oldskd = x(a[1])
    alg, encr, bits, integ = (int(v) for v in a[2:6])
    gir, ni, nr, spii, spir = (x(v) for v in a[6:11])
    seed = prf(oldalg, oldskd, gir + ni + nr)
    print("SKEYSEED", h(seed))
    for name, k in ike_keys(alg, encr, bits, integ, seed, ni, nr, spii,
                            spir):
        print(name, h(k))


ESP_ENCR = {12: (None, 0), 13: (None, 4), 18: (None, 4), 19: (None, 4),
            20: (None, 4), 21: (None, 4), 3: (24, 0), 28: (32, 4),
            11: (0, 0), 0: (0, 0)}
ESP_INTEG = {0: 0, 1: 16, 2: 20, 12: 32, 13: 48, 14: 64}


def cmd_child(a):
    alg = int(a[0])
    skd = x(a[1])
    encr, bits, integ = int(a[2]), int(a[3]), int(a[4])
    gir, ni, nr = x(a[5]), x(a[6]), x(a[7])
    fixed, salt = ESP_ENCR[encr]
    elen = (bits // 8 if fixed is None else fixed) + salt
    alen = ESP_INTEG[integ]
    km = prf_plus(alg, skd, gir + ni + nr, 2 * (elen + alen))
    off = 0
    for name, n in (("ei", elen), ("ai", alen), ("er", elen),
                    ("ar", alen)):
        print(name, h(km[off:off + n]))
        off += n


def cmd_auth(a):
    alg = int(a[0])
    skp, psk, msg, nonce, idb = (x(v) for v in a[1:6])
    key = prf(alg, psk, b"Key Pad for IKEv2")
    print(h(prf(alg, key, msg + nonce + prf(alg, skp, idb))))


def suite_keys(a):
    """PRF ENCR BITS INTEG SKEYSEED NI NR SPII SPIR INI -> keys of INI."""
    alg, encr, bits, integ = (int(v) for v in a[:4])
    seed, ni, nr, spii, spir = (x(v) for v in a[4:9])
    ini = a[9] == "1"
    k = dict(ike_keys(alg, encr, bits, integ, seed, ni, nr, spii, spir))
    ek = k["SK_ei"] if ini else k["SK_er"]
    ak = k["SK_ai"] if ini else k["SK_ar"]
    return encr, integ, ek, ak


def put_lengths(msg, hdroff, total):
    msg[hdroff + 2:hdroff + 4] = (total - hdroff).to_bytes(2, "big")
    msg[24:28] = total.to_bytes(4, "big")


def sk_encrypt(encr, integ, ek, ak, prefix, inner, iv=None):
    from cryptography.hazmat.primitives.ciphers import (Cipher,
                                                        algorithms, modes)
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    hdroff = len(prefix) - 4
    msg = bytearray(prefix)
    if encr in GCM_ICV:
        icv = GCM_ICV[encr]
        iv = iv if iv is not None else os.urandom(8)
        pt = inner + b"\x00"
        total = len(msg) + 8 + len(pt) + icv
        put_lengths(msg, hdroff, total)
        if icv == 16:
            ct = AESGCM(ek[:-4]).encrypt(ek[-4:] + iv, pt, bytes(msg))
        else:
            enc = Cipher(algorithms.AES(ek[:-4]),
                         modes.GCM(ek[-4:] + iv)).encryptor()
            enc.authenticate_additional_data(bytes(msg))
            ct = enc.update(pt) + enc.finalize() + enc.tag[:icv]
        return bytes(msg) + iv + ct
    md, _, icv = INTEG[integ]
    iv = iv if iv is not None else os.urandom(16)
    padlen = 15 - len(inner) % 16
    pt = inner + bytes(padlen) + bytes([padlen])
    total = len(msg) + 16 + len(pt) + icv
    put_lengths(msg, hdroff, total)
    enc = Cipher(algorithms.AES(ek), modes.CBC(iv)).encryptor()
    body = bytes(msg) + iv + enc.update(pt) + enc.finalize()
    return body + hmac.new(ak, body, md).digest()[:icv]


def sk_decrypt(encr, integ, ek, ak, msg, hdroff, bodyoff):
    from cryptography.hazmat.primitives.ciphers import (Cipher,
                                                        algorithms, modes)
    if encr in GCM_ICV:
        icv = GCM_ICV[encr]
        iv, ct, tag = msg[bodyoff:bodyoff + 8], msg[bodyoff + 8:-icv], \
            msg[-icv:]
        dec = Cipher(algorithms.AES(ek[:-4]),
                     modes.GCM(ek[-4:] + iv, tag, min_tag_length=icv)
                     ).decryptor()
        dec.authenticate_additional_data(msg[:bodyoff])
        pt = dec.update(ct) + dec.finalize()
    else:
        md, _, icv = INTEG[integ]
        if not hmac.compare_digest(hmac.new(ak, msg[:-icv], md).digest()
                                   [:icv], msg[-icv:]):
            raise ValueError("ICV mismatch")
        iv, ct = msg[bodyoff:bodyoff + 16], msg[bodyoff + 16:-icv]
        dec = Cipher(algorithms.AES(ek), modes.CBC(iv)).decryptor()
        pt = dec.update(ct) + dec.finalize()
    return pt[:len(pt) - 1 - pt[-1]]


def cmd_skenc(a):
    encr, integ, ek, ak = suite_keys(a)
    iv = x(a[12]) if len(a) > 12 else None
    print(h(sk_encrypt(encr, integ, ek, ak, x(a[10]), x(a[11]), iv)))


def cmd_skdec(a):
    encr, integ, ek, ak = suite_keys(a)
    try:
        print(h(sk_decrypt(encr, integ, ek, ak, x(a[10]), int(a[11]),
                           int(a[12]))))
    except Exception:
        print("refused")


def cmd_skcheck(a):
    """PROG PRF ENCR BITS INTEG SKEYSEED NI NR SPII SPIR PREFIX_I PREFIX_R:
    cryptotest's SK payloads read here, ours read by cryptotest, for
    several lengths of inner payloads and both directions."""
    prog, keys = a[0], a[1:10]
    prefixes = {"1": x(a[10]), "0": x(a[11])}
    for n in (0, 1, 15, 16, 17, 301):
        for ini in ("1", "0"):
            inner = os.urandom(n)
            encr, integ, ek, ak = suite_keys(keys + [ini])
            args = [prog, "skenc"] + keys + [ini, h(prefixes[ini]),
                                             h(inner) or "-"]
            m = x(subprocess.run(args, check=True, capture_output=True,
                                 text=True).stdout.strip())
            try:
                got = sk_decrypt(encr, integ, ek, ak, m, 28, 32)
            except Exception as e:
                got = str(e).encode()
            if got != inner:
                print("ref.py read %d bytes from ini %s: %s" %
                      (n, ini, h(got[:16])))
                return
            m = sk_encrypt(encr, integ, ek, ak, prefixes[ini], inner)
            args = [prog, "skdec"] + keys + [ini, h(m), "28", "32"]
            got = subprocess.run(args, capture_output=True,
                                 text=True).stdout.strip()
            if got != h(inner):
                print("cryptotest read %d bytes from ini %s: %s" %
                      (n, ini, got[:32]))
                return
    print("agree")


def pi_bits(n):
    """floor(pi * 2^n), by Machin's formula in integers."""
    guard = 32
    one = 1 << (n + guard)

    def arctan_inv(k):
        s, t, i, sign = 0, one // k, 1, 1
        while t:
            s += sign * (t // i)
            t //= k * k
            i += 2
            sign = -sign
        return s
    return (16 * arctan_inv(5) - 4 * arctan_inv(239)) >> guard


def modp_prime(bits):
    """RFC 3526: p = 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) pi) + k)."""
    k = {2048: 124476, 3072: 1690314, 4096: 240904}[bits]
    return (2 ** bits - 2 ** (bits - 64) - 1 +
            2 ** 64 * (pi_bits(bits - 130) + k))


DH = {14: ("modp", 2048), 15: ("modp", 3072), 16: ("modp", 4096),
      19: ("ecp", 32), 20: ("ecp", 48), 21: ("ecp", 66), 31: ("x25519", 32)}


def cmd_dhcheck(a):
    """Our key pair against cryptotest's: both must get one secret."""
    from cryptography.hazmat.primitives.asymmetric import dh, ec, x25519
    group, prog = int(a[0]), a[1]
    kind, size = DH[group]
    if kind == "modp":
        p = modp_prime(size)
        n = size // 8
        priv = dh.DHParameterNumbers(p, 2).parameters().generate_private_key()
        pub = priv.public_key().public_numbers().y.to_bytes(n, "big")

        def secret(peer):
            y = int.from_bytes(peer, "big")
            pk = dh.DHPublicNumbers(y, dh.DHParameterNumbers(p, 2)) \
                .public_key()
            return priv.exchange(pk).rjust(n, b"\0")
    elif kind == "ecp":
        curve = {19: ec.SECP256R1, 20: ec.SECP384R1,
                 21: ec.SECP521R1}[group]()
        priv = ec.generate_private_key(curve)
        nums = priv.public_key().public_numbers()
        pub = nums.x.to_bytes(size, "big") + nums.y.to_bytes(size, "big")

        def secret(peer):
            pk = ec.EllipticCurvePublicNumbers(
                int.from_bytes(peer[:size], "big"),
                int.from_bytes(peer[size:], "big"), curve).public_key()
            return priv.exchange(ec.ECDH(), pk).rjust(size, b"\0")
    else:
        priv = x25519.X25519PrivateKey.generate()
        pub = priv.public_key().public_bytes_raw()

        def secret(peer):
            return priv.exchange(
                x25519.X25519PublicKey.from_public_bytes(peer))
    out = subprocess.run([prog, "dh", str(group), h(pub)], check=True,
                         capture_output=True, text=True).stdout.split()
    got = dict(zip(out[0::2], out[1::2]))
    theirs = x(got["pub"])
    if len(theirs) != len(pub):
        print("public-length %d != %d" % (len(theirs), len(pub)))
    elif secret(theirs) != x(got["secret"]):
        print("secret-mismatch")
    else:
        print("agree")


def cmd_modp(a):
    print(h(modp_prime(int(a[0])).to_bytes(int(a[0]) // 8, "big")))


def cmd_have_cryptography(a):
    try:
        import cryptography.hazmat.primitives.ciphers.aead  # noqa: F401
        print("yes")
    except ImportError:
        print("no")


CMDS = {"prfplus": cmd_prfplus, "ikekeys": cmd_ikekeys, "rekey": cmd_rekey,
        "child": cmd_child, "auth": cmd_auth, "skenc": cmd_skenc,
        "skdec": cmd_skdec, "skcheck": cmd_skcheck, "dhcheck": cmd_dhcheck, "modp": cmd_modp,
        "have-cryptography": cmd_have_cryptography}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in CMDS:
        sys.exit("usage: ref.py %s ARGS..." % "|".join(sorted(CMDS)))
    CMDS[sys.argv[1]](sys.argv[2:])
