import { z } from 'zod';

/** Largest accepted body of `POST /api/sync`. */
export const maxBodyBytes = 64 * 1024;

const bodySchema = z
  .object({
    paths: z
      .array(
        z
          .string()
          .min(1)
          .max(1024)
          .refine((p) => !p.split(/[\\/]/).includes('..'), 'must not contain ".."'),
      )
      .max(1000)
      .optional(),
    force: z.boolean().optional(),
    dryRun: z.boolean().optional(),
  })
  .strict();

/** The options a caller may send. */
export type SyncBody = z.infer<typeof bodySchema>;

/** A parsed body, or why it was refused. */
export type BodyResult =
  { readonly ok: true; readonly body: SyncBody } | { readonly ok: false; readonly reason: string };

/**
 * Validates the raw text of a start request: empty means defaults; otherwise JSON matching
 * `{ paths?: string[], force?: boolean, dryRun?: boolean }` and nothing else, at most 64 KiB.
 */
export function parseSyncBody(text: string): BodyResult {
  if (Buffer.byteLength(text, 'utf8') > maxBodyBytes)
    return { ok: false, reason: `body is larger than ${maxBodyBytes} bytes` };
  if (text.trim() === '') return { ok: true, body: {} };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `body is not JSON: ${(error as Error).message}` };
  }
  const parsed = bodySchema.safeParse(json);
  if (parsed.success) return { ok: true, body: parsed.data };
  const reason = parsed.error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`)
    .join('; ');
  return { ok: false, reason };
}
