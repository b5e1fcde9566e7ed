/** Ledger v5: each batch's digest of its rows as loaded, for verify to use instead of converting the source again. */
export const version = 5;
export const description = "each batch's row digest (verify's canonical form) and the plan it was computed under";
export const sql = `
-- row_digest: SetDigest (src/tables/canonical.ts) of the batch's loaded rows,
-- computed at load time from the values sent, in the form the server prints;
-- NULL for a batch that went through the staging table (ids and keys can change
-- there). digest_plan: what the digest depends on (tool version, converter
-- spec, source columns, time zone, compared columns and their forms), hashed;
-- verify uses the digests only where its own plan hashes the same
-- (src/pipeline/shared/digest-plan.ts).
ALTER TABLE aragora_migrate.batches ADD COLUMN IF NOT EXISTS row_digest text;
ALTER TABLE aragora_migrate.batches ADD COLUMN IF NOT EXISTS digest_plan text;
`;
