// The citizen journey in a real browser (Chromium via playwright-core), in
// English and Welsh, with and without JavaScript, and axe-core on every page
// (WCAG 2.2 A and AA): 0 violations allowed.
//
// Needs the `ier` binary (built by `cargo test`/`cargo build`; IER_BIN to
// override) and Chromium (CHROMIUM to override /usr/bin/chromium).

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const axePath = require.resolve('axe-core/axe.min.js')
const ierBin = process.env.IER_BIN ?? join(here, '..', 'target', 'debug', 'ier')
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium'

let server, base, ems, dataDir, browser

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ier-e2e-'))
  server = spawn(ierBin, ['demo', '--addr', '127.0.0.1:0', '--ems-addr', '127.0.0.1:0', '--internal-addr', '127.0.0.1:0', '--data-dir', join(dataDir, 'data')], { stdio: ['ignore', 'pipe', 'ignore'] })
  base = await new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error('ier demo did not start: ' + out)), 60000)
    server.stdout.on('data', (chunk) => {
      out += chunk
      const m = out.match(/Public site:\s+(http:\/\/\S+?)\/?\n/)
      const e = out.match(/EMS API:\s+(https:\/\/\S+?)\/v1\/applications/)
      if (m && e) { clearTimeout(timer); ems = e[1]; resolve(m[1]) }
    })
    server.on('exit', (code) => reject(new Error(`ier demo exited with ${code}: ${out}`)))
  })
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
})

after(async () => {
  await browser?.close()
  server?.kill()
  rmSync(dataDir, { recursive: true, force: true })
})

/** Run axe on the current page; fail with the violations listed. */
async function checkAccessibility (page, seen) {
  const url = new URL(page.url()).pathname
  await page.addScriptTag({ path: axePath })
  const result = await page.evaluate(() => {
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
  assert.deepEqual(problems, [], `accessibility violations on ${url}`)
  seen?.add(url)
}

async function newPage ({ javaScript = true } = {}) {
  // bypassCSP lets the test inject axe-core; the site itself allows no inline script.
  const context = await browser.newContext({ javaScriptEnabled: javaScript, bypassCSP: true })
  return context.newPage()
}

async function submit (page) {
  await Promise.all([page.waitForLoadState('load'), page.locator('form button.govuk-button').first().click()])
}

/** The whole ordinary journey; returns the reference number shown. */
async function walk (page, { welsh, checkA11y, seen, javaScript = true }) {
  const a11y = async () => { if (checkA11y) await checkAccessibility(page, seen) }
  const t = (en, cy) => (welsh ? cy : en)
  await page.goto(base + (welsh ? '/?lang=cy' : '/?lang=en'))
  await a11y()
  await page.getByRole('button', { name: t('Start now', 'Dechrau nawr') }).click()
  await page.waitForURL(/country-of-residence/)
  await a11y()
  // An error first: every value kept, the error summary shown.
  await submit(page)
  assert.match(await page.locator('.govuk-error-summary').innerText(), new RegExp(t('Select where you live', 'Dewiswch ble rydych chi’n byw')))
  await a11y()
  await page.getByLabel(t('Wales', 'Cymru'), { exact: true }).check()
  await submit(page)
  await page.waitForURL(/nationality/)
  await a11y()
  await page.getByLabel(t('British', 'Prydeinig'), { exact: true }).check()
  await submit(page)
  await page.waitForURL(/date-of-birth/)
  await a11y()
  await page.getByLabel(t('Day', 'Diwrnod')).fill('2')
  await page.getByLabel(t('Month', 'Mis')).fill('9')
  await page.getByLabel(t('Year', 'Blwyddyn')).fill('1990')
  await submit(page)
  await page.waitForURL(/\/name$/)
  await a11y()
  await page.getByLabel(t('First name', 'Enw cyntaf')).fill('Siân')
  await page.getByLabel(t('Last name', 'Cyfenw')).fill('Llewellyn')
  await submit(page)
  await page.waitForURL(/previous-name/)
  await a11y()
  await page.getByLabel(t('No', 'Nac ydw'), { exact: true }).check()
  await submit(page)
  await page.waitForURL(/nino/)
  await a11y()
  await page.getByLabel(t('National Insurance number', 'Rhif Yswiriant Gwladol'), { exact: true }).fill('SN425918B')
  await submit(page)
  await page.waitForURL(/address$/)
  await a11y()
  await page.getByLabel(t('Postcode', 'Cod post')).fill('CF10 1EP')
  await page.getByRole('button', { name: t('Find address', 'Dod o hyd i’r cyfeiriad') }).click()
  if (javaScript) {
    // Progressive enhancement: the addresses appear on the same page, and focus moves to them.
    await page.locator('#address-results-form input[name="uprn"]').first().waitFor()
    assert.match(page.url(), /\/address$/)
    assert.equal(await page.evaluate(() => document.activeElement.tagName), 'FIELDSET')
  } else {
    await page.waitForURL(/address\/select/)
  }
  await a11y()
  await page.locator('input[name="uprn"]').first().check()
  await Promise.all([
    page.waitForURL(/other-address/),
    page.locator('form:has(input[name="uprn"]) button.govuk-button').click()
  ])
  await a11y()
  await page.getByLabel(t('No', 'Nac ydw'), { exact: true }).check()
  await submit(page)
  await page.waitForURL(/moved/)
  await a11y()
  // A revealed field (progressive enhancement with JavaScript, always shown without).
  await page.getByLabel(t('Yes, from another address in the UK', 'Ydw, o gyfeiriad arall yn y DU')).check()
  await page.getByLabel(t('Previous address line 1', 'Llinell gyntaf y cyfeiriad blaenorol')).fill('4 Park Row')
  await page.getByLabel(t('Previous town or city', 'Tref neu ddinas flaenorol')).fill('Leeds')
  await page.getByLabel(t('Previous postcode', 'Cod post blaenorol')).fill('LS1 5HD')
  await a11y()
  await submit(page)
  await page.waitForURL(/open-register/)
  await a11y()
  await page.getByLabel(t('No', 'Nac ydw'), { exact: true }).check()
  await submit(page)
  await page.waitForURL(/postal-vote/)
  await a11y()
  // A postal vote with its form sent by email: another revealed field.
  await page.getByLabel(t('Yes, email me an application form', 'Ydw, e-bostiwch ffurflen gais ataf')).check()
  await page.getByLabel(t('Email address', 'Cyfeiriad e-bost'), { exact: true }).fill('sian@example.com')
  await a11y()
  await submit(page)
  await page.waitForURL(/contact/)
  await a11y()
  await page.getByLabel(t('Post', 'Post'), { exact: true }).check()
  await submit(page)
  await page.waitForURL(/check-answers/)
  await a11y()
  // A change from the summary returns to the summary.
  await page.locator(`a[href="/register-to-vote/name"]`).click()
  await page.waitForURL(/\/name$/)
  await page.getByLabel(t('First name', 'Enw cyntaf')).fill('Siân Angharad')
  await submit(page)
  await page.waitForURL(/check-answers/)
  assert.match(await page.locator('.govuk-summary-list').innerText(), /Siân Angharad Llewellyn/)
  await page.getByLabel(t('I agree', 'Rwy’n cytuno')).check()
  await submit(page)
  await page.waitForURL(/complete/)
  await a11y()
  const panel = await page.locator('.govuk-panel').innerText()
  assert.match(panel, t(/Application complete/, /Cais wedi’i gwblhau/))
  const reference = panel.match(/([2-9B-DF-HJ-NP-TV-Z]{5} [2-9B-DF-HJ-NP-TV-Z]{5})/)?.[1]
  assert.ok(reference, 'a reference number is shown: ' + panel)
  const main = await page.locator('main').innerText()
  assert.match(main, t(/Cardiff Council/, /Cyngor Caerdydd/))
  assert.match(main, /sian@example\.com/)
  return reference
}

/** Run the reference EMS client for Cardiff's ERO once; returns what it printed. */
function pollCardiff (out) {
  const clients = join(dataDir, 'data', 'ems-clients')
  return execFileSync(ierBin, ['ems', 'poll', '--once', '--server', ems,
    '--cert', join(clients, 'cardiff.pem'), '--key', join(clients, 'cardiff.key'),
    '--ca', join(dataDir, 'data', 'pki', 'ca.pem'), '--out', out], { encoding: 'utf8' })
}

test('the journey in English, with a change from the summary, and axe on every page; the application reaches the EMS', async () => {
  const page = await newPage()
  const seen = new Set()
  const reference = await walk(page, { welsh: false, checkA11y: true, seen })
  assert.ok(seen.size >= 15, `axe ran on ${seen.size} pages`)
  await page.context().close()
  // Submitted on the public site, fetched by Cardiff's EMS over mutual TLS, then off the queue.
  const out = join(dataDir, 'ems-cardiff')
  assert.match(pollCardiff(out), /confirmed [1-9]/)
  const file = join(out, 'applications', reference.replace(' ', '') + '.json')
  assert.ok(existsSync(file), `the EMS client wrote ${file}`)
  const application = JSON.parse(readFileSync(file, 'utf8'))
  assert.equal(application.gssCode, 'W06000015')
  assert.equal(application.applicant.name.surname, 'Llewellyn')
  assert.match(pollCardiff(out), /fetched 0 applications/)
})

test('the journey in Welsh, and axe on every page', async () => {
  const page = await newPage()
  await walk(page, { welsh: true, checkA11y: true })
  assert.equal(await page.locator('html').getAttribute('lang'), 'cy')
  await page.context().close()
})

test('the journey works without JavaScript', async () => {
  const page = await newPage({ javaScript: false })
  await walk(page, { welsh: false, checkA11y: false, javaScript: false })
  await page.context().close()
})

test('security headers and a POST without its CSRF token', async () => {
  const res = await fetch(base + '/register-to-vote/start', { redirect: 'manual' })
  const cookie = res.headers.get('set-cookie').split(';')[0]
  assert.match(res.headers.get('set-cookie'), /HttpOnly/)
  assert.match(res.headers.get('set-cookie'), /SameSite=Lax/)
  const page = await fetch(base + '/register-to-vote/country-of-residence', { headers: { cookie } })
  assert.match(page.headers.get('content-security-policy'), /default-src 'self'/)
  assert.equal(page.headers.get('x-frame-options'), 'DENY')
  const forged = await fetch(base + '/register-to-vote/country-of-residence', {
    method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: 'country=wales',
  })
  assert.equal(forged.status, 403)
})
