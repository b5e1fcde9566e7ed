/** Ledger v3: a source file's identity, so verify need not hash an unchanged file again. */
export const version = 3;
export const description = 'source file identities (device, inode, size, change time)';
export const sql = `
-- A source file's identity without its bytes, so verify need not hash it again.
ALTER TABLE aragora_migrate.run_files ADD COLUMN IF NOT EXISTS identity text;
`;
