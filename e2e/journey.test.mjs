// The applicant journeys in a real browser (Chromium via playwright-core)
// against a real `ier demo`: every walk of data/walks.json in English and
// Welsh with JavaScript, two again without, axe-core (WCAG 2.2 A and AA, 0
// violations allowed) on every distinct page, a Change from the summary, and
// each application fetched by its ERO's EMS over mutual TLS. Then the address
// look-up's errors with JavaScript, the timeout warning, and the security
// headers. The walker is walker.mjs; the demo, browser and axe are service.mjs.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadWalks, Walker } from './walker.mjs'
import { startService } from './service.mjs'

const walks = loadWalks()
let service

before(async () => { service = await startService() })
after(async () => { await service?.stop() })

/** A Walker on a fresh page that checks each page's language and accessibility. */
async function walker (walk, { lang, javaScript = true }) {
  const page = await service.newPage({ javaScript })
  return new Walker(page, walk, {
    base: service.base,
    lang,
    javaScript,
    onPage: async (state) => {
      assert.equal(await page.locator('html').getAttribute('lang'), lang, `the page's language at ${page.url()}`)
      const path = new URL(page.url()).pathname
      // A distinct page: its language, JavaScript or not, path, and what it shows.
      await service.checkAccessibility(page, `${lang} ${javaScript ? 'js' : 'no-js'} ${path} ${state}`.trim(), { javaScript })
    },
  })
}

/** The kind's own part of the applicant in the EMS API's JSON. */
const parts = { ordinary: null, overseas: 'overseas', forces: 'service', crown: 'crown', 'british-council': 'crown' }

/** The ERO the walk's application goes to: where its first looked-up postcode is. */
function eroOf (walk) {
  const step = walk.steps.find((s) => 'postcode' in s.form)
  const ero = service.lookup(walk.fill(step.form.postcode))
  if (walk.ero) assert.equal(ero.id, walk.ero, `${walk.name} goes to ${walk.ero}`)
  return ero
}

/** The complete page names the ERO, in the page's language, and where a voting form is emailed. */
async function assertComplete (w, ero) {
  const main = await w.page.locator('main').innerText()
  assert.ok(main.includes(ero.name[w.lang]), `the complete page names ${ero.name[w.lang]}: ${main}`)
  for (const step of w.walk.steps) {
    for (const field of ['postal-vote-email', 'form-email']) {
      if (field in step.form) assert.ok(main.includes(w.walk.fill(step.form[field])), `the complete page says where the form goes: ${main}`)
    }
  }
}

/** Fetch the ERO's applications over mutual TLS: the walk's is among them, of its kind. */
function assertReachesEms (walk, reference, { ero, lang, middle }) {
  const { out, printed } = service.poll(ero.id)
  assert.match(printed, /confirmed [1-9]/)
  const file = join(out, 'applications', reference + '.json')
  assert.ok(existsSync(file), `the EMS client wrote ${file}`)
  const application = JSON.parse(readFileSync(file, 'utf8'))
  assert.equal(application.reference, reference)
  assert.equal(application.gssCode, ero.gss)
  assert.equal(application.kind, walk.kind)
  assert.equal(application.language, lang)
  assert.equal(application.applicant.name.surname, walk.fill('{surname}'))
  if (middle) assert.equal(application.applicant.name.middleNames, middle)
  for (const part of ['overseas', 'service', 'crown']) {
    const has = application.applicant[part] !== null && application.applicant[part] !== undefined
    assert.equal(has, part === parts[walk.kind], `${walk.kind}: applicant.${part} ${has ? 'present' : 'absent'}`)
  }
  const [header, ...rows] = readFileSync(join(out, 'applications.csv'), 'utf8').trim().split('\n').map((line) => line.split(','))
  const row = rows.find((r) => r[header.indexOf('reference')] === reference)
  assert.equal(row?.[header.indexOf('kind')], walk.kind, `applications.csv has ${reference} as ${walk.kind}`)
  // Confirmed, so off the queue.
  assert.match(service.poll(ero.id).printed, /fetched 0 applications/)
}

/**
 * The whole walk in a browser, "Check your answers" (in English with a Change:
 * a middle name added), the application sent, and fetched by its ERO's EMS.
 */
async function walkToEms (t, walk, { lang, javaScript = true }) {
  const ero = eroOf(walk)
  const middle = lang === 'en' ? 'Mair' : undefined
  const before = service.checked.size
  const w = await walker(walk, { lang, javaScript })
  await w.toCheckAnswers()
  if (middle) await w.changeName(middle)
  const reference = await w.send()
  await assertComplete(w, ero)
  await w.page.context().close()
  assertReachesEms(walk, reference, { ero, lang, middle })
  t.diagnostic(`axe checked ${service.checked.size - before} more pages`)
}

const languages = { en: 'English', cy: 'Welsh' }

for (const walk of walks) {
  for (const lang of ['en', 'cy']) {
    test(`${walk.name} in ${languages[lang]} with JavaScript, axe on every page; the application reaches its ERO`, (t) => walkToEms(t, walk, { lang }))
  }
}

for (const [name, lang] of [['ordinary', 'en'], ['forces', 'cy']]) {
  test(`${name} in ${languages[lang]} without JavaScript, axe on every page; the application reaches its ERO`, (t) => walkToEms(t, walks.find((w) => w.name === name), { lang, javaScript: false }))
}

test('with JavaScript, a failed look-up is sent once, shows its error in place, and a good one clears it', async () => {
  const walk = walks.find((w) => w.name === 'ordinary')
  const w = await walker(walk, { lang: 'en' })
  const { page } = w
  const address = `/register-to-vote/${walk.steps[walk.stepWith('postcode')].page}`
  await w.start()
  await w.steps(walk.stepWith('postcode'))
  const lookups = []
  page.on('request', (r) => { if (r.method() === 'POST' && new URL(r.url()).pathname === address) lookups.push(r) })
  let navigations = 0
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations++ })
  for (const [postcode, error] of [['nope', 'Enter a real postcode'], ['YY9 9YY', 'We could not find which council covers this postcode']]) {
    const sent = lookups.length
    const form = await w.fillForm({ postcode })
    assert.equal(await w.submit(form), 'error', `${postcode} is refused`)
    // Long enough for a second submission of the same look-up to show up.
    await page.waitForTimeout(300)
    assert.equal(lookups.length, sent + 1, `the look-up of ${postcode} is sent once`)
    assert.equal(navigations, 0, 'the page stays')
    assert.equal(w.path, address)
    assert.match(await page.locator('.govuk-error-summary').innerText(), new RegExp(error))
    assert.match(await page.title(), /^Error: /)
    assert.equal(await page.locator('input[name="postcode"]').inputValue(), postcode, 'the postcode typed is kept')
    assert.ok(await page.evaluate(() => document.activeElement.matches('.govuk-error-summary')), 'focus moves to the error summary')
    await w.onPage(`error: ${error}`)
  }
  const form = await w.fillForm({ postcode: walk.fill('{postcode}') })
  assert.equal(await w.submit(form), 'address list')
  assert.equal(lookups.length, 3)
  for (const leftover of ['.govuk-error-summary', '.govuk-error-message', '.govuk-form-group--error', '.govuk-input--error']) {
    assert.equal(await page.locator(leftover).count(), 0, `no ${leftover} left on the page`)
  }
  assert.doesNotMatch(await page.title(), /^Error:/)
  assert.ok(await page.locator('#address-results-form input[name="uprn"]').count() > 0, 'the addresses are listed')
  await w.onPage('address list after errors')
  await page.context().close()
})

test('the timeout warning: a modal dialog after 18 minutes idle; continuing keeps the journey alive, not answering ends it', async () => {
  const walk = walks.find((w) => w.name === 'ordinary')
  const w = await walker(walk, { lang: 'en' })
  const { page } = w
  const timedOut = []
  page.on('request', (r) => { if (new URL(r.url()).pathname === '/register-to-vote/timed-out') timedOut.push(r) })
  await page.clock.install()
  await w.start()
  assert.equal(await page.locator('dialog').count(), 0)
  await page.clock.fastForward('18:30')
  const dialog = page.locator('dialog')
  await dialog.waitFor()
  assert.ok(await dialog.evaluate((d) => d.open && d.matches(':modal')), 'a modal dialog')
  assert.match(await dialog.innerText(), /Continue with your application/)
  await w.onPage('timeout warning')
  const keepAlive = page.waitForRequest((r) => new URL(r.url()).pathname === '/register-to-vote/keep-alive')
  await dialog.getByRole('button', { name: 'Continue with your application' }).click()
  await keepAlive
  await dialog.waitFor({ state: 'detached' })
  // The timers start again: 18 minutes on, the warning again, and not the end the first timers had set.
  await page.clock.fastForward('18:30')
  await dialog.waitFor()
  assert.equal(timedOut.length, 0, 'the journey did not time out')
  assert.equal(w.path, `/register-to-vote/${walk.steps[0].page}`)
  // Nobody answers: at 20 minutes, the timed-out page.
  await w.navigate(() => page.clock.fastForward('01:30'))
  assert.equal(w.path, '/register-to-vote/timed-out')
  assert.match(await page.locator('main').innerText(), /Your application has timed out/)
  await w.onPage('')
  await page.context().close()
})

test('axe checked every page of every walk, with JavaScript, in both languages', (t) => {
  const missing = []
  for (const lang of ['en', 'cy']) {
    for (const walk of walks) {
      const keys = walk.steps.map((s) => s.page.endsWith('/select')
        ? `${lang} js /register-to-vote/${s.page.slice(0, -'/select'.length)} address list`
        : `${lang} js /register-to-vote/${s.page}`)
      keys.push(`${lang} js ${walk.prefix}/check-answers answers of ${walk.name}`, `${lang} js ${walk.prefix}/complete complete for ${walk.name}`)
      missing.push(...keys.filter((key) => !service.checked.has(key)))
    }
  }
  assert.deepEqual(missing, [])
  t.diagnostic(`${service.checked.size} distinct pages checked with axe`)
})

test('security headers and a POST without its CSRF token', async () => {
  const { base } = service
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
