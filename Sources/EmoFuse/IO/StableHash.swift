/// 64-bit FNV-1a of a byte sequence: stable across runs and platforms (unlike `Hasher`), for
/// cache file names, random-stream numbers and model fingerprints.
func fnv1a64<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return h
}
