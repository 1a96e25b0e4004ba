//! A postcode table from outside (`IER_POSTCODE_TABLE`): a truncated, corrupt, oversized or
//! random file is a clear `DirectoryError`, never a panic, and never makes `read` allocate
//! more than the file warrants (its counts are not believed beyond the bytes that follow them).
//!
//! This test binary counts allocations (a global allocator that records the largest single
//! request), so "no huge allocation" is checked, not assumed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use flate2::Compression;
use flate2::write::ZlibEncoder;
use ier_domain::{GssCode, Postcode};
use ier_reference::PostcodeDirectory;
use ier_reference::postcode_directory::{DirectoryError, MAX_TABLE_BYTES};

/// The system allocator, remembering the largest single allocation since the last reset.
struct Counting;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every request is passed to the system allocator unchanged; only its size is noted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's layout, passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: allocated by `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: as for `alloc` and `dealloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The tests share the counter, so they take turns.
static TURN: Mutex<()> = Mutex::new(());

/// Read a table and return the result with the largest single allocation made meanwhile.
fn read_measured(file: &[u8]) -> (Result<PostcodeDirectory, DirectoryError>, usize) {
    LARGEST.store(0, Ordering::Relaxed);
    let result = std::panic::catch_unwind(|| PostcodeDirectory::read(file)).expect("read panicked");
    (result, LARGEST.load(Ordering::Relaxed))
}

/// The same for a table already inflated.
fn parse_measured(raw: &[u8]) -> (Result<PostcodeDirectory, DirectoryError>, usize) {
    LARGEST.store(0, Ordering::Relaxed);
    let result = std::panic::catch_unwind(|| PostcodeDirectory::from_uncompressed(raw)).expect("parse panicked");
    (result, LARGEST.load(Ordering::Relaxed))
}

fn zlib(raw: &[u8]) -> Vec<u8> {
    let mut z = ZlibEncoder::new(Vec::new(), Compression::fast());
    z.write_all(raw).unwrap();
    z.finish().unwrap()
}

fn inflate(file: &[u8]) -> Vec<u8> {
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(file).read_to_end(&mut raw).unwrap();
    raw
}

fn small_table() -> Vec<u8> {
    let pc = |s: &str| Postcode::parse(s).unwrap();
    let gss = |s: &str| GssCode::parse(s).unwrap();
    let dir = PostcodeDirectory::from_pairs([
        (pc("SW1A 1AA"), gss("E09000033")),
        (pc("SW1A 2AA"), gss("E09000033")),
        (pc("CF10 1EP"), gss("W06000015")),
        (pc("EH1 1YZ"), gss("S12000036")),
    ])
    .unwrap();
    let mut out = Vec::new();
    dir.write(&mut out).unwrap();
    out
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// At most this many bytes in one allocation for a file of `len` bytes: a small multiple of
/// its length, plus room for the reader's own buffers (zlib's window, `BufReader`'s 8 KiB).
fn bounded(len: usize) -> usize {
    64 * 1024 + 32 * len
}

#[test]
fn a_good_table_reads_back() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let file = small_table();
    let (dir, _) = read_measured(&file);
    let dir = dir.unwrap();
    assert_eq!(dir.len(), 4);
    assert_eq!(PostcodeDirectory::from_uncompressed(&inflate(&file)).unwrap(), dir);
}

#[test]
fn every_truncation_of_a_table_is_refused() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let file = small_table();
    for cut in 0..file.len() {
        let (result, largest) = read_measured(&file[..cut]);
        assert!(matches!(result, Err(DirectoryError::BadMagic | DirectoryError::Corrupt)), "cut at {cut}: {result:?}");
        assert!(largest <= bounded(cut), "cut at {cut}: an allocation of {largest} bytes");
    }
    // Cut after inflating, then compressed again intact: the structure itself is cut short.
    let raw = inflate(&file);
    for cut in 0..raw.len() {
        let (result, _) = read_measured(&zlib(&raw[..cut]));
        assert!(
            matches!(result, Err(DirectoryError::BadMagic | DirectoryError::Corrupt)),
            "inflated cut at {cut}: {result:?}"
        );
    }
}

#[test]
fn a_flipped_byte_or_bytes_after_the_table_are_refused() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let file = small_table();
    let mut longer = file.clone();
    longer.extend_from_slice(b"more");
    assert!(matches!(read_measured(&longer).0, Err(DirectoryError::Corrupt)));
    let good = read_measured(&file).0.unwrap();
    for at in 0..file.len() {
        let mut bad = file.clone();
        bad[at] ^= 0x20;
        // zlib's checksum, or the checks on the structure, catch every change to the table
        // (a flip in deflate's own framing may still inflate to the very same bytes).
        if let Ok(dir) = read_measured(&bad).0 {
            assert_eq!(dir, good, "flipped byte {at} read as a different table");
        }
    }
}

#[test]
fn absurd_counts_are_refused_without_allocating_them() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    for huge in [u64::MAX, u64::MAX >> 1, 1 << 40, 1 << 32, u32::MAX as u64, 1 << 20] {
        // A table of districts claiming `huge` codes.
        let mut raw = b"IERPCD1\n".to_vec();
        varint(huge, &mut raw);
        raw.extend_from_slice(b"E09000033");
        let (result, largest) = parse_measured(&raw);
        assert!(matches!(result, Err(DirectoryError::Corrupt)), "{huge} codes: {result:?}");
        assert!(largest <= bounded(raw.len()), "{huge} codes: an allocation of {largest} bytes");
        // And the same through zlib.
        let (result, largest) = read_measured(&zlib(&raw));
        assert!(matches!(result, Err(DirectoryError::Corrupt)), "{huge} codes: {result:?}");
        assert!(largest <= bounded(raw.len()), "{huge} codes, compressed: an allocation of {largest} bytes");

        // One district, then `huge` outward codes.
        let mut raw = b"IERPCD1\n".to_vec();
        varint(1, &mut raw);
        raw.extend_from_slice(b"E09000033");
        varint(huge, &mut raw);
        raw.extend_from_slice(b"\x04SW1A\x01\x00\x00");
        let (result, largest) = parse_measured(&raw);
        assert!(matches!(result, Err(DirectoryError::Corrupt)), "{huge} outwards: {result:?}");
        assert!(largest <= bounded(raw.len()), "{huge} outwards: an allocation of {largest} bytes");

        // One outward code claiming `huge` units.
        let mut raw = b"IERPCD1\n".to_vec();
        varint(1, &mut raw);
        raw.extend_from_slice(b"E09000033");
        varint(1, &mut raw);
        raw.extend_from_slice(b"\x04SW1A");
        varint(huge, &mut raw);
        raw.extend_from_slice(b"\x00\x00");
        let (result, largest) = parse_measured(&raw);
        assert!(matches!(result, Err(DirectoryError::Corrupt)), "{huge} units: {result:?}");
        assert!(largest <= bounded(raw.len()), "{huge} units: an allocation of {largest} bytes");
    }
}

#[test]
fn inward_codes_out_of_order_or_overflowing_are_refused() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let table = |units: &[(u64, u64)], outward: &[u8]| {
        let mut raw = b"IERPCD1\n".to_vec();
        varint(1, &mut raw);
        raw.extend_from_slice(b"E09000033");
        varint(1, &mut raw);
        raw.push(outward.len() as u8);
        raw.extend_from_slice(outward);
        varint(units.len() as u64, &mut raw);
        for (delta, code) in units {
            varint(*delta, &mut raw);
            varint(*code, &mut raw);
        }
        raw
    };
    assert!(PostcodeDirectory::from_uncompressed(&table(&[(5, 0), (1, 0)], b"SW1A")).is_ok());
    assert!(PostcodeDirectory::from_uncompressed(&table(&[(0, 0)], b"GIR")).is_ok());
    // A repeated inward code, a delta that overflows, an index past the last inward code, a
    // district that is not in the table, and outward codes that are not outward codes.
    for (units, outward) in [
        (&[(5, 0), (0, 0)][..], &b"SW1A"[..]),
        (&[(5, 0), (u64::MAX, 0)][..], b"SW1A"),
        (&[(4000, 0)][..], b"SW1A"),
        (&[(3, 1)][..], b"SW1A"),
        (&[(3, 0)][..], b""),
        (&[(3, 0)][..], b"sw1a"),
        (&[(3, 0)][..], b"11"),
        (&[(3, 0)][..], b"SW1A 1"),
        // GIR takes only 0AA (found by the fuzzer: the other units could never be found).
        (&[(0, 0), (3, 0)][..], b"GIR"),
        (&[(1, 0)][..], b"GIR"),
    ] {
        let raw = table(units, outward);
        assert!(matches!(parse_measured(&raw).0, Err(DirectoryError::Corrupt)), "{units:?} {outward:?}");
    }
    // Outward codes out of order: lookups would miss them.
    let mut raw = b"IERPCD1\n".to_vec();
    varint(1, &mut raw);
    raw.extend_from_slice(b"E09000033");
    varint(2, &mut raw);
    raw.extend_from_slice(b"\x02SW\x01\x00\x00\x02CF\x01\x00\x00");
    assert!(matches!(parse_measured(&raw).0, Err(DirectoryError::Corrupt)));
}

#[test]
fn a_zlib_bomb_is_refused_before_it_is_inflated() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    // 65 MiB of zeros compress to about 65 KiB.
    let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..=(MAX_TABLE_BYTES >> 20) {
        z.write_all(&zeros).unwrap();
    }
    let bomb = z.finish().unwrap();
    drop(zeros);
    let (result, _) = read_measured(&bomb);
    assert!(matches!(result, Err(DirectoryError::TooLarge)), "{result:?}");
    assert_eq!(
        result.unwrap_err().to_string(),
        "postcode directory file is larger than any real table (over 64 MiB inflated)"
    );
}

#[test]
fn random_bytes_are_refused_without_a_panic() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    // A small deterministic generator (xorshift): no dependency, the same bytes on every run.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..2000 {
        let len = (next() % 512) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        // Half of them behind a real header, so the structure is reached.
        if round % 2 == 0 {
            let mut raw = b"IERPCD1\n".to_vec();
            raw.append(&mut bytes);
            bytes = raw;
        }
        let (result, largest) = parse_measured(&bytes);
        if let Ok(dir) = result {
            // Should random bytes ever form a table, every postcode in it can be found.
            for (i, (pc, code)) in dir.iter().enumerate() {
                assert_eq!(dir.ordinal(&pc), Some(i as u32));
                assert_eq!(dir.district(&pc), Some(code));
            }
        }
        assert!(largest <= bounded(bytes.len()), "round {round}: an allocation of {largest} bytes");
        let file = zlib(&bytes);
        let (_, largest) = read_measured(&file);
        assert!(largest <= bounded(bytes.len()), "round {round}, compressed: an allocation of {largest} bytes");
        let (_, largest) = read_measured(&bytes);
        assert!(largest <= bounded(bytes.len()), "round {round}, not zlib: an allocation of {largest} bytes");
    }
}

#[test]
fn errors_say_what_is_wrong() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    assert_eq!(read_measured(b"").0.unwrap_err().to_string(), "not a postcode directory file (bad header)");
    assert_eq!(
        read_measured(&small_table()[..20]).0.unwrap_err().to_string(),
        "postcode directory file is truncated or corrupt"
    );
}
