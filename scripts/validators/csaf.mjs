// Validates CSAF 2.0 documents with the BSI/Secvisogram validator: the
// strict JSON schema and every mandatory test. Usage: node csaf.mjs FILE...
// Prints each failure and exits 1 if any document is invalid.
import { readFileSync } from 'node:fs'
import validateStrict from '@secvisogram/csaf-validator-lib/validateStrict.js'
import * as mandatory from '@secvisogram/csaf-validator-lib/mandatoryTests.js'
import { csaf_2_0_strict } from '@secvisogram/csaf-validator-lib/schemaTests.js'

const tests = [csaf_2_0_strict, ...Object.values(mandatory)]
let ok = true
for (const file of process.argv.slice(2)) {
  const doc = JSON.parse(readFileSync(file, 'utf8'))
  const result = await validateStrict(tests, doc)
  for (const t of result.tests) {
    for (const e of t.errors ?? []) {
      ok = false
      console.log(`${file}: ${t.name}: ${e.instancePath} ${e.message}`)
    }
  }
  if (!result.isValid) ok = false
}
console.log(ok ? 'valid' : 'invalid')
process.exit(ok ? 0 : 1)
