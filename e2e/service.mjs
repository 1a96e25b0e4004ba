// What the browser tests run against and check with: one `ier demo` (public
// site and EMS API over mutual TLS, in a temporary data directory), one
// Chromium, axe-core (WCAG 2.2 A and AA) on a page with or without JavaScript,
// and the reference EMS client fetching an ERO's applications (with a client
// certificate issued from the demo's PKI for EROs the demo made none for).
//
// Needs the `ier` binary (built by `cargo test`/`cargo build`; IER_BIN to
// override) and Chromium (CHROMIUM to override /usr/bin/chromium).

import assert from 'node:assert/strict'
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { createHmac } from 'node:crypto'

/** The code an authenticator app shows for a base32 key (RFC 6238: SHA-1, 30 s, 6 digits), `step` steps on. */
export function totp (key, step = 0) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const c of key) bits += alphabet.indexOf(c).toString(2).padStart(5, '0')
  const secret = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)))
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + step))
  const mac = createHmac('sha1', secret).update(counter).digest()
  const offset = mac[mac.length - 1] & 15
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, '0')
}

const require = createRequire(import.meta.url)
const axePath = require.resolve('axe-core/axe.min.js')
const ierBin = process.env.IER_BIN ?? fileURLToPath(new URL('../target/debug/ier', import.meta.url))
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium'

/** The EROs' reference data (id, name, Welsh name), for what the complete page calls them. */
const eros = readFileSync(new URL('../crates/ier-reference/data/eros.csv', import.meta.url), 'utf8')
  .trim().split('\n').slice(1)
  .map((line) => [...line.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)].map((m) => m[1].replace(/^"|"$/g, '').replaceAll('""', '"')))

/** `ier demo` on free ports, and Chromium. */
export async function startService () {
  const dir = mkdtempSync(join(tmpdir(), 'ier-e2e-'))
  const data = join(dir, 'data')
  const server = spawn(ierBin, ['demo', '--addr', '127.0.0.1:0', '--ems-addr', '127.0.0.1:0', '--portal-addr', '127.0.0.1:0', '--internal-addr', '127.0.0.1:0', '--data-dir', data], { stdio: ['ignore', 'pipe', 'ignore'] })
  // Not left running if the tests end some other way than through stop().
  process.on('exit', () => server.kill())
  const started = await new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error('ier demo did not start: ' + out)), 60000)
    server.stdout.on('data', (chunk) => {
      out += chunk
      const site = out.match(/Public site:\s+(http:\/\/\S+?)\/?\n/)
      const ems = out.match(/EMS API:\s+(https:\/\/\S+?)\/v1\/applications/)
      const clients = out.match(/EMS client certificates in \S+: (.*)\n/)
      if (site && ems && clients && out.includes('Press Ctrl-C to stop.')) {
        clearTimeout(timer)
        // The demo identities: `  kind: Given Surname, d/m/yyyy, NINO, address[ (on the register…)]`.
        const identities = [...out.matchAll(/^ {2}([A-Za-z -]+): (\S+) (.+?), (\d+)\/(\d+)\/(\d+), ([A-Z]{2}(?: ?\d\d){3} ?[A-D]?), (.+?)( \(on the register.*)?$/gm)]
          .map((m) => ({ kind: m[1], given: m[2], surname: m[3], dob: [m[4], m[5], m[6]], nino: m[7], address: m[8], registered: Boolean(m[9]) }))
        // The ERO portal and its demo staff: `    role of ero: username, password P, authenticator key K (...)`.
        const portal = out.match(/ERO portal \(council staff\): (http:\/\/\S+?)\/sign-in/)?.[1]
        const staff = [...out.matchAll(/^ {4}(\w+) of ([a-z0-9-]+): (\S+), password (\S+), authenticator key ([A-Z2-7]+)/gm)]
          .map((m) => ({ role: m[1], ero: m[2], username: m[3], password: m[4], key: m[5] }))
        resolve({ base: site[1], ems: ems[1], demoClients: clients[1].trim().split(/\s+/), identities, portal, staff })
      }
    })
    server.on('exit', (code) => reject(new Error(`ier demo exited with ${code}: ${out}`)))
  })
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  return new Service({ ...started, dir, data, server, browser })
}

class Service {
  constructor (fields) {
    Object.assign(this, fields)
    // Client certificates by ERO id: the demo's own, and any issued here.
    this.clients = new Map(this.demoClients.map((ero) => [ero, join(this.data, 'ems-clients', ero)]))
    // Each distinct page axe has checked (see checkAccessibility).
    this.checked = new Set()
    // `ier lookup`'s answers by postcode.
    this.lookups = new Map()
  }

  async stop () {
    await this.browser.close()
    this.server.kill()
    rmSync(this.dir, { recursive: true, force: true })
  }

  /** A fresh browser context's page (its own cookies). */
  async newPage ({ javaScript = true } = {}) {
    // bypassCSP lets the test inject axe-core; the site itself allows no inline script.
    const context = await this.browser.newContext({ javaScriptEnabled: javaScript, bypassCSP: true })
    return context.newPage()
  }

  /** The ERO that registers people at `postcode`, as `ier lookup` says: { id, gss, name: { en, cy } }. */
  lookup (postcode) {
    if (!this.lookups.has(postcode)) {
      const out = execFileSync(ierBin, ['lookup', postcode], { encoding: 'utf8' })
      const [, gss] = out.match(/\(([EWS]\d{8})\)/)
      const [, id] = out.match(/Electoral Registration Officer: .+ \(([a-z0-9-]+)\)/)
      const [, en, cy] = eros.find((row) => row[0] === id)
      this.lookups.set(postcode, { id, gss, name: { en, cy: cy || en } })
    }
    return this.lookups.get(postcode)
  }

  /**
   * Run the reference EMS client once as `ero` (a certificate issued from the
   * demo's PKI when the demo made none for it); its output directory and what it printed.
   */
  poll (ero) {
    if (!this.clients.has(ero)) {
      const issued = join(this.dir, 'issued')
      execFileSync(ierBin, ['ero', 'cert', 'issue', '--ero', ero, '--pki', join(this.data, 'pki'), '--out', issued], { encoding: 'utf8' })
      this.clients.set(ero, join(issued, ero))
    }
    const client = this.clients.get(ero)
    const out = join(this.dir, `ems-${ero}`)
    const printed = execFileSync(ierBin, ['ems', 'poll', '--once', '--server', this.ems,
      '--cert', client + '.pem', '--key', client + '.key',
      '--ca', join(this.data, 'pki', 'ca.pem'), '--out', out], { encoding: 'utf8' })
    return { out, printed }
  }

  /** Send `ero`'s determination of `reference` with the reference EMS client (`ier ems determine`). */
  determine (ero, reference, decision, reasons = []) {
    this.poll(ero)
    const client = this.clients.get(ero)
    return execFileSync(ierBin, ['ems', 'determine', '--server', this.ems,
      '--cert', client + '.pem', '--key', client + '.key', '--ca', join(this.data, 'pki', 'ca.pem'),
      reference, decision, ...reasons.flatMap((r) => ['--reason', r])], { encoding: 'utf8' })
  }

  /**
   * Axe-core on the page as it is now; fails with the violations listed. Each
   * distinct page is checked once: `key` names it, `checked` holds those done.
   */
  async checkAccessibility (page, key, { javaScript = true } = {}) {
    if (this.checked.has(key)) return
    const target = javaScript ? page : await this.copyWithoutScripts(page)
    await target.addScriptTag({ path: axePath })
    const result = await target.evaluate(() => {
      // One narrow, deliberate exception: govuk-frontend's own script sets
      // aria-expanded on a radio that reveals a conditional question (so screen
      // readers announce the reveal). ARIA does not list aria-expanded for role
      // radio; allow exactly that attribute on that role, nothing else.
      window.axe.configure({ checks: [{ id: 'aria-allowed-attr', options: { radio: ['aria-expanded'] } }] })
      return window.axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
      })
    })
    const problems = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)
    assert.deepEqual(problems, [], `accessibility violations on ${key}`)
    this.checked.add(key)
  }

  /**
   * Axe needs script, which a page without JavaScript cannot run: the same
   * document, its scripts taken out (so it renders as without JavaScript),
   * written into a page of the site's origin that can run axe.
   */
  async copyWithoutScripts (page) {
    const html = (await page.content()).replace(/<script\b[^>]*>[\s\S]*?<\/script>/g, '')
    if (!this.copier) {
      this.copier = await (await this.browser.newContext({ bypassCSP: true })).newPage()
      await this.copier.goto(`${this.base}/health/live`)
    }
    await this.copier.setContent(html)
    return this.copier
  }
}
