//! A zip archive of stored (uncompressed) files: how the page hands over a model folder,
//! since a browser downloads files, not folders. Weights barely compress, so no deflate.

/// CRC-32 (IEEE 802.3, reflected, as zip uses it).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (n, entry) in table.iter_mut().enumerate() {
        let mut c = n as u32;
        for _ in 0..8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *entry = c;
    }
    !bytes.iter().fold(!0u32, |c, &b| {
        table[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8)
    })
}

/// 1980-01-01 00:00, zip's earliest date: the same model gives the same bytes.
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;

/// The files, in order, as one zip. Names use `/` for folders. Files and the archive stay
/// under 4 GiB (no zip64): the page's models are far smaller.
pub fn zip_stored(files: &[(String, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, bytes) in files {
        let offset = out.len() as u32;
        let crc = crc32(bytes);
        let size = bytes.len() as u32;
        // Local file header.
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes()); // version needed
        out.extend_from_slice(&0x0800u16.to_le_bytes()); // names are UTF-8
        out.extend_from_slice(&0u16.to_le_bytes()); // stored
        out.extend_from_slice(&DOS_TIME.to_le_bytes());
        out.extend_from_slice(&DOS_DATE.to_le_bytes());
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // extra
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(bytes);
        // Its central directory entry.
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // made by
        central.extend_from_slice(&20u16.to_le_bytes()); // needed
        central.extend_from_slice(&0x0800u16.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&DOS_TIME.to_le_bytes());
        central.extend_from_slice(&DOS_DATE.to_le_bytes());
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 12]); // extra, comment, disk, attributes (2 + 2 + 2 + 2 + 4)
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let central_offset = out.len() as u32;
    let central_size = central.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // this disk, disk with the directory
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&central_size.to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment
    out
}

#[cfg(test)]
pub mod tests {
    use super::*;

    fn u16_at(b: &[u8], at: usize) -> u16 {
        u16::from_le_bytes([b[at], b[at + 1]])
    }

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    /// CRC-32 the long way, sharing nothing with `crc32`: bit by bit, no table, with the
    /// polynomial 0x04C11DB7 in its normal (most significant bit first) form; zip's CRC is
    /// the reflected one, so each byte goes in bit-reversed and the result comes out so.
    fn crc32_by_definition(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= (b.reverse_bits() as u32) << 24;
            for _ in 0..8 {
                crc = if crc & 0x8000_0000 != 0 {
                    (crc << 1) ^ 0x04C1_1DB7
                } else {
                    crc << 1
                };
            }
        }
        !crc.reverse_bits()
    }

    /// 1980-01-01 in DOS form (day 1, month 1 in bits 5–8, year 0): zip_stored's fixed date.
    const DATE_1980: u16 = 33;

    /// What a central directory entry says about its file.
    struct CentralEntry {
        name: String,
        crc: u32,
        size: usize,
        local: usize,
        /// Bytes the entry takes, name included.
        len: usize,
    }

    /// The central directory entry at `at`, every fixed field checked against what
    /// zip_stored writes.
    fn central_entry(zip: &[u8], at: usize) -> CentralEntry {
        assert_eq!(u32_at(zip, at), 0x0201_4b50, "central entry signature");
        assert_eq!(u16_at(zip, at + 4), 20, "made by version 2.0");
        assert_eq!(u16_at(zip, at + 6), 20, "needs version 2.0");
        assert_eq!(
            u16_at(zip, at + 8),
            0x0800,
            "flags: UTF-8 names, nothing else"
        );
        assert_eq!(u16_at(zip, at + 10), 0, "stored, not compressed");
        assert_eq!(u16_at(zip, at + 12), 0, "time 00:00");
        assert_eq!(u16_at(zip, at + 14), DATE_1980, "date 1980-01-01");
        let size = u32_at(zip, at + 20);
        assert_eq!(u32_at(zip, at + 24), size, "stored: both sizes agree");
        let name_len = u16_at(zip, at + 28) as usize;
        // Extra field, comment, first disk, internal and external attributes: all empty.
        assert_eq!(
            zip[at + 30..at + 42],
            [0; 12],
            "extra, comment, disk, attributes"
        );
        let name = String::from_utf8(zip[at + 46..at + 46 + name_len].to_vec()).expect("utf-8");
        CentralEntry {
            name,
            crc: u32_at(zip, at + 16),
            size: size as usize,
            local: u32_at(zip, at + 42) as usize,
            len: 46 + name_len,
        }
    }

    /// The data of `entry`'s file, after checking its local header repeats the entry; returns
    /// the data and where the next file's header should start.
    fn local_file<'z>(zip: &'z [u8], entry: &CentralEntry) -> (&'z [u8], usize) {
        let (at, name) = (entry.local, &entry.name);
        assert_eq!(u32_at(zip, at), 0x0403_4b50, "local header of {name}");
        assert_eq!(u16_at(zip, at + 4), 20, "{name} needs version 2.0");
        assert_eq!(u16_at(zip, at + 6), 0x0800, "{name}'s flags");
        assert_eq!(u16_at(zip, at + 8), 0, "{name} is stored");
        assert_eq!(u16_at(zip, at + 10), 0, "{name}'s time");
        assert_eq!(u16_at(zip, at + 12), DATE_1980, "{name}'s date");
        assert_eq!(
            u32_at(zip, at + 14),
            entry.crc,
            "{name}'s CRC, local and central"
        );
        assert_eq!(u32_at(zip, at + 18) as usize, entry.size, "{name}'s size");
        assert_eq!(u32_at(zip, at + 22) as usize, entry.size, "{name}'s size");
        let name_len = u16_at(zip, at + 26) as usize;
        assert_eq!(u16_at(zip, at + 28), 0, "{name}'s extra field");
        assert_eq!(
            &zip[at + 30..at + 30 + name_len],
            name.as_bytes(),
            "local name"
        );
        let data_at = at + 30 + name_len;
        let data = &zip[data_at..data_at + entry.size];
        assert_eq!(crc32_by_definition(data), entry.crc, "{name}'s CRC");
        (data, data_at + entry.size)
    }

    /// Reads a stored zip the way an unzip tool does, from the end record through the
    /// central directory to each local header, and asserts every field is what zip_stored
    /// writes: signatures, versions, flags, method, date, names and sizes agreeing between
    /// directory and header, CRCs against an independent CRC-32, and the files, directory
    /// and end record packed back to back with nothing between or after them.
    pub fn read_stored(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
        assert!(zip.len() >= 22, "{} bytes hold no end record", zip.len());
        let end = zip.len() - 22;
        assert_eq!(u32_at(zip, end), 0x0605_4b50, "end of central directory");
        assert_eq!(u32_at(zip, end + 4), 0, "one disk");
        let count = u16_at(zip, end + 8);
        assert_eq!(u16_at(zip, end + 10), count, "entries here and in all");
        let central_size = u32_at(zip, end + 12) as usize;
        let central_offset = u32_at(zip, end + 16) as usize;
        assert_eq!(u16_at(zip, end + 20), 0, "no archive comment");
        assert_eq!(
            central_offset + central_size,
            end,
            "directory ends at the end record"
        );
        let (mut at, mut next_file) = (central_offset, 0);
        let mut files = Vec::new();
        for _ in 0..count {
            let entry = central_entry(zip, at);
            assert_eq!(
                entry.local, next_file,
                "{} follows the file before",
                entry.name
            );
            let (data, after) = local_file(zip, &entry);
            next_file = after;
            at += entry.len;
            files.push((entry.name, data.to_vec()));
        }
        assert_eq!(at, end, "{count} entries fill the directory");
        assert_eq!(
            next_file, central_offset,
            "the directory follows the last file"
        );
        files
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        // The test's own CRC-32 must be right too, or agreeing with it proves nothing.
        assert_eq!(crc32_by_definition(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32_by_definition(b""), 0);
        assert_eq!(crc32_by_definition(b"hello"), 0x3610_A686);
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i * 131 % 256) as u8).collect();
        for len in 0..bytes.len() {
            assert_eq!(
                crc32(&bytes[..len]),
                crc32_by_definition(&bytes[..len]),
                "{len} bytes"
            );
        }
    }

    #[test]
    fn files_come_back_as_they_went_in() {
        let big: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let files = [
            ("m/config.json".to_string(), b"{\"a\": 1}".as_slice()),
            ("m/weights".to_string(), big.as_slice()),
            ("m/empty".to_string(), b"".as_slice()),
            ("m/wörter/ü.txt".to_string(), b"\xff".as_slice()),
        ];
        let zip = zip_stored(&files);
        // Each file: 30-byte header, name, data; its directory entry: 46 bytes and the
        // name; then the 22-byte end record.
        let expected_len: usize = files
            .iter()
            .map(|(name, bytes)| 30 + name.len() + bytes.len() + 46 + name.len())
            .sum::<usize>()
            + 22;
        assert_eq!(
            zip.len(),
            expected_len,
            "nothing but headers, names and data"
        );
        let back = read_stored(&zip);
        assert_eq!(back.len(), files.len());
        for ((name, bytes), (back_name, back_bytes)) in files.iter().zip(&back) {
            assert_eq!(name, back_name);
            assert_eq!(bytes.len(), back_bytes.len(), "{name}'s size");
            assert_eq!(*bytes, back_bytes.as_slice(), "{name}'s bytes");
        }
        assert!(read_stored(&zip_stored(&[])).is_empty(), "an empty archive");
    }

    /// read_stored checks every byte: change any one and it refuses the archive, so a
    /// passing read means zip_stored wrote exactly what it should.
    #[test]
    fn any_changed_byte_is_caught() {
        let zip = zip_stored(&[
            ("f/a.txt".to_string(), b"hello".as_slice()),
            ("f/b.bin".to_string(), b"\x00\x01\x02".as_slice()),
        ]);
        read_stored(&zip);
        let missed: Vec<usize> = (0..zip.len())
            .filter(|&at| {
                let mut bad = zip.clone();
                bad[at] ^= 0x01;
                std::panic::catch_unwind(|| read_stored(&bad)).is_ok()
            })
            .collect();
        assert!(missed.is_empty(), "bytes changed unnoticed at {missed:?}");
        let mut short = zip.clone();
        short.pop();
        assert!(
            std::panic::catch_unwind(|| read_stored(&short)).is_err(),
            "a cut archive"
        );
    }
}
