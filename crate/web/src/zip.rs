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

    fn u16_at(b: &[u8], at: usize) -> usize {
        u16::from_le_bytes([b[at], b[at + 1]]) as usize
    }

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    /// Reads a stored zip the way an unzip tool does: from the end record through the
    /// central directory to each local header, checking every CRC.
    pub fn read_stored(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
        let end = zip.len() - 22;
        assert_eq!(u32_at(zip, end), 0x0605_4b50, "end of central directory");
        let count = u16_at(zip, end + 10);
        let mut at = u32_at(zip, end + 16) as usize;
        let mut files = Vec::new();
        for _ in 0..count {
            assert_eq!(u32_at(zip, at), 0x0201_4b50, "central entry");
            let crc = u32_at(zip, at + 16);
            let size = u32_at(zip, at + 20) as usize;
            let name_len = u16_at(zip, at + 28);
            let local = u32_at(zip, at + 42) as usize;
            let name = String::from_utf8(zip[at + 46..at + 46 + name_len].to_vec()).expect("utf-8");
            assert_eq!(u32_at(zip, local), 0x0403_4b50, "local header of {name}");
            let data_at = local + 30 + u16_at(zip, local + 26) + u16_at(zip, local + 28);
            let data = zip[data_at..data_at + size].to_vec();
            assert_eq!(crc32(&data), crc, "{name}'s CRC");
            files.push((name, data));
            at += 46 + name_len;
        }
        files
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn files_come_back_as_they_went_in() {
        let big: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let files = [
            ("m/config.json".to_string(), b"{\"a\": 1}".as_slice()),
            ("m/weights".to_string(), big.as_slice()),
            ("m/empty".to_string(), b"".as_slice()),
        ];
        let back = read_stored(&zip_stored(&files));
        assert_eq!(back.len(), 3);
        for ((name, bytes), (back_name, back_bytes)) in files.iter().zip(&back) {
            assert_eq!(name, back_name);
            assert_eq!(*bytes, back_bytes.as_slice());
        }
    }

    /// The system's unzip agrees, where there is one (Debian has it; it is not required).
    #[test]
    fn unzip_tests_the_archive_where_installed() {
        let Ok(dir) = std::env::temp_dir().canonicalize() else {
            return;
        };
        let path = dir.join(format!("tokenscope-zip-{}.zip", std::process::id()));
        let zip = zip_stored(&[("f/a.txt".to_string(), b"hello".as_slice())]);
        std::fs::write(&path, zip).expect("writes");
        let result = std::process::Command::new("unzip")
            .arg("-t")
            .arg(&path)
            .output();
        let _ = std::fs::remove_file(&path);
        if let Ok(output) = result {
            let text = String::from_utf8_lossy(&output.stdout);
            assert!(output.status.success(), "unzip -t: {text}");
            assert!(text.contains("No errors detected"), "{text}");
        }
    }
}
