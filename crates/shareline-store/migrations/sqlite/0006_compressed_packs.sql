-- Packed findings are stored compressed: a first evaluation of a large
-- estate wrote 1.7 GB of packs' JSON, each byte twice (the write-ahead log,
-- then the database), and that was the store's largest cost
-- (docs/benchmarks.md). `packed` holds a pack's entries in a compact binary
-- form, compressed with LZ4 (see pack_blob.rs and findings.rs for the
-- layout). Rows written before this migration
-- keep their JSON in `passes` and have no `packed`; rows written after it
-- leave `passes` empty.
ALTER TABLE finding_passes ADD COLUMN packed BLOB;
