/**
 * The CLI and the apiserver accept and reject the same inputs: a corpus of generated valid
 * platforms and mutations of them (objects and YAML text; test/fixtures/arbitrary.ts) goes through
 * `booking-operator validate` and through `kubectl apply --server-side --dry-run=server` on the
 * rig, in batches (one kubectl per directory of files). Zero disagreements. And what the CLI
 * accepts renders objects the apiserver accepts (server-side dry-run of every rendered object).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { cli, loadPlatforms } from '../../src/cli/main.ts';
import { renderPlatform } from '../../src/render/index.ts';
import { FUZZ_NAMESPACES, fuzzInput, type FuzzInput } from '../fixtures/arbitrary.ts';
import { kubectl } from '../rig/kubectl.ts';

const rig = inject('rig');
const CORPUS = 1200;
const BATCH = 150;
/** Accepted inputs whose rendered objects go to the apiserver (about 20 objects each). */
const RENDERED = 250;
/** Inputs `booking-operator validate` accepted in the agreement test (the rendering test reads them). */
const acceptedByCli: FuzzInput[] = [];
const dir = mkdtempSync(join(tmpdir(), 'booking-fuzz-'));

beforeAll(() => {
  for (const ns of FUZZ_NAMESPACES) kubectl(rig, ['create', 'namespace', ns]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The platform's name as kubectl prints it, read from the text (undefined when there is none to read). */
function nameOf(yaml: string): string | undefined {
  const m = /^metadata:\n(?: {2}.*\n)*? {2}name: (.*)$/m.exec(yaml);
  if (!m) return undefined;
  try {
    const v = parse(`v: ${m[1]}`, { version: '1.1' }).v;
    return v === null || v === undefined ? undefined : String(v);
  } catch {
    return undefined;
  }
}

/** Inputs in batches where every platform name is unique (kubectl's output names what it applied). */
function batches(inputs: FuzzInput[]): FuzzInput[][] {
  const out: { names: Set<string>; items: FuzzInput[] }[] = [];
  // kinds the apiserver does not serve make kubectl refresh discovery: keep them together
  const odd = (i: FuzzInput) => !/^apiVersion: platform\.booking\.io\/v1alpha1\nkind: BookingPlatform\n/m.test(i.yaml);
  for (const input of [...inputs.filter((i) => !odd(i)), ...inputs.filter(odd)]) {
    const name = nameOf(input.yaml) ?? `(none ${Math.random()})`;
    let b = out.find((x) => x.items.length < BATCH && !x.names.has(name) && odd(x.items[0]!) === odd(input));
    if (!b) out.push((b = { names: new Set(), items: [] }));
    b.names.add(name);
    b.items.push(input);
  }
  return out.map((b) => b.items);
}

/** Which inputs of one batch the apiserver accepted (server-side dry-run apply, as kubectl apply). */
function apiserverAccepts(batch: FuzzInput[], n: number): boolean[] {
  const folder = join(dir, String(n));
  mkdirSync(folder);
  batch.forEach((input, i) => writeFileSync(join(folder, `${String(i).padStart(4, '0')}.yaml`), input.yaml));
  const r = kubectl(rig, ['apply', '--server-side', '--dry-run=server', '--field-manager=fuzz', '-f', folder]);
  const applied = new Set([...r.stdout.matchAll(/^bookingplatform\.platform\.booking\.io\/(\S+) serverside-applied/gm)].map((m) => m[1]));
  return batch.map((input) => {
    const name = nameOf(input.yaml);
    return name !== undefined && applied.has(name);
  });
}

describe('CLI and CRD agree (fast-check corpus against the rig)', () => {
  it(`on ${CORPUS} generated and mutated inputs`, () => {
    const inputs = fc.sample(fuzzInput, { numRuns: CORPUS, seed: Number(process.env.FUZZ_SEED ?? 10) });
    const disagreements: string[] = [];
    let accepted = 0;
    acceptedByCli.length = 0;
    batches(inputs).forEach((batch, n) => {
      const server = apiserverAccepts(batch, n);
      batch.forEach((input, i) => {
        const ours = cli(['validate', '-f', 'input.yaml'], () => input.yaml);
        if (server[i]) accepted++;
        if (ours.code === 0) acceptedByCli.push(input);
        if ((ours.code === 0) !== server[i]) {
          disagreements.push(`apiserver ${server[i] ? 'accepts' : 'rejects'}, CLI ${ours.code === 0 ? 'accepts' : `rejects (${ours.stderr.trim()})`}: ${input.what}\n${input.yaml}`);
        }
      });
    });
    // FUZZ_REPORT=file keeps every disagreement for study; FUZZ_SEED=n draws another corpus
    if (process.env.FUZZ_REPORT) writeFileSync(process.env.FUZZ_REPORT, disagreements.join('\n\n'));
    expect(disagreements.slice(0, 5)).toEqual([]);
    expect(disagreements).toHaveLength(0);
    // the corpus is mixed: both verdicts occur often
    expect(accepted).toBeGreaterThan(CORPUS / 5);
    expect(accepted).toBeLessThan(CORPUS - CORPUS / 5);
  }, 600_000);

  it('every object rendered from an accepted input passes server-side dry-run apply', () => {
    // the accepted inputs of the corpus above, mutated ones first (they hold the borderline values)
    const chosen = [...acceptedByCli.filter((a) => a.what !== 'valid'), ...acceptedByCli.filter((a) => a.what === 'valid')].slice(0, RENDERED);
    expect(chosen.length).toBeGreaterThan(RENDERED / 2);
    const objects = chosen.flatMap(({ yaml }) => {
      const loaded = loadPlatforms(yaml);
      return loaded.ok ? loaded.platforms.flatMap((p) => renderPlatform(p, { fileSystemId: 'fs-0123', accessPointId: 'fsap-0456', connectionHash: 'h' })) : [];
    });
    const refused: string[] = [];
    for (let i = 0; i < objects.length; i += 500) {
      const r = kubectl(rig, ['apply', '--server-side', '--dry-run=server', '--field-manager=booking-operator', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects.slice(i, i + 500) }));
      refused.push(...r.stderr.split('\n').filter((line) => line && !line.startsWith('Warning:')));
    }
    // The one known gap: request ≤ limit is not checked in mcpServers[] and services[] (the CEL
    // cost of quantity() times 20 entries exceeds the apiserver's budget; see schema.ts). The
    // corpus sets such resources only on the entry named `q`; its Deployment ends Stalled naming the field.
    const KNOWN = /^The Deployment "[-a-z0-9]*-q" is invalid: spec\.template\.spec\.containers\[0\]\.resources\.requests: Invalid value: "[^"]*": must be less than or equal to [a-z-]+ limit of \S+$/;
    expect(refused.filter((line) => !KNOWN.test(line)).slice(0, 10)).toEqual([]);
  }, 600_000);
});
