//! Every file of every committed fuzz corpus (`fuzz/corpus/<target>/`), through the same checks
//! the fuzz targets run: what the fuzzers once found stays fixed, on every CI run, with no fuzzer.

use std::path::Path;

#[test]
fn every_corpus_file_passes_its_targets_checks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let mut total = 0;
    for (name, check) in ier_fuzz::TARGETS {
        let dir = root.join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("the corpus of {name} ({}): {e}", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "the corpus of {name} is empty");
        for file in &files {
            let data = std::fs::read(file).expect("a corpus file");
            if std::panic::catch_unwind(|| check(&data)).is_err() {
                panic!("{name}: {} fails its check", file.display());
            }
        }
        total += files.len();
    }
    eprintln!("{total} corpus files checked across {} targets", ier_fuzz::TARGETS.len());
}

#[test]
fn every_fuzz_target_has_a_binary_and_every_binary_a_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/fuzz_targets");
    let mut bins: Vec<String> = std::fs::read_dir(&root)
        .expect("fuzz/fuzz_targets")
        .map(|e| e.expect("an entry").path().file_stem().expect("a name").to_string_lossy().into_owned())
        .collect();
    bins.sort();
    let mut names: Vec<String> = ier_fuzz::TARGETS.iter().map(|(n, _)| (*n).to_owned()).collect();
    names.sort();
    assert_eq!(bins, names);
}
