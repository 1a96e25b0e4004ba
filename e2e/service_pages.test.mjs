// The pages every GOV.UK service must have (accessibility statement, privacy
// notice, cookies, help and contact) and the feedback form, in a real browser
// against a real `ier demo`: every page in English and Welsh, with and without
// JavaScript, checked with axe-core (WCAG 2.2 A and AA); the phase banner's
// link opens the form in a new tab carrying the page it came from; feedback
// is sent with and without JavaScript (errors first, then a double click),
// and `ier feedback export` shows each one stored once.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startService } from './service.mjs'

const ierBin = process.env.IER_BIN ?? fileURLToPath(new URL('../target/debug/ier', import.meta.url))

let service
before(async () => { service = await startService() })
after(async () => { await service?.stop() })

const words = {
  en: {
    pages: { '/accessibility': 'Accessibility statement for Register to vote', '/privacy': 'Privacy notice', '/cookies': 'Cookies', '/help': 'Help and contact', '/feedback': 'Give feedback on Register to vote' },
    banner: 'give your feedback (opens in new tab)',
    rating: 'Satisfied',
    send: 'Send feedback',
    ratingError: 'Select how you felt about the service',
    thanks: 'Thank you for your feedback',
    back: 'Go back to the page you were on',
    remaining: /You have 1,?1\d\d characters remaining/,
  },
  cy: {
    pages: { '/accessibility': 'Datganiad hygyrchedd ar gyfer Cofrestru i bleidleisio', '/privacy': 'Hysbysiad preifatrwydd', '/cookies': 'Cwcis', '/help': 'Help a chysylltu', '/feedback': 'Rhoi adborth am Cofrestru i bleidleisio' },
    banner: 'rhowch eich adborth (yn agor mewn tab newydd)',
    rating: 'Bodlon',
    send: 'Anfon adborth',
    ratingError: 'Dewiswch sut oeddech chi’n teimlo am y gwasanaeth',
    thanks: 'Diolch am eich adborth',
    back: 'Mynd yn ôl i’r dudalen roeddech arni',
    remaining: /Nodau ar ôl: 1,?1\d\d/,
  },
}

/** Every comment `ier feedback export` prints (the demo's own data key opens them). */
function exported () {
  const key = readFileSync(join(service.data, 'data-key'), 'utf8').trim()
  const csv = execFileSync(ierBin, ['feedback', 'export', '--database-url', `sqlite:${join(service.data, 'ier.db')}`], { encoding: 'utf8', env: { ...process.env, IER_DATA_KEYS: key } })
  return csv.trim().split('\n').slice(1)
}

for (const lang of ['en', 'cy']) {
  for (const javaScript of [true, false]) {
    const mode = `${lang}, ${javaScript ? 'with' : 'without'} JavaScript`
    const w = words[lang]

    test(`${mode}: every service page, found from the footer, passes axe`, async () => {
      const page = await service.newPage({ javaScript })
      await page.goto(`${service.base}/?lang=${lang}`)
      for (const [path, heading] of Object.entries(w.pages)) {
        await page.goto(`${service.base}/?lang=${lang}`)
        await Promise.all([page.waitForLoadState('load'), page.locator(`footer a[href^="${path}?"]`).click()])
        assert.equal(new URL(page.url()).pathname, path)
        assert.equal(await page.locator('h1').innerText(), heading)
        assert.match(await page.locator('.govuk-phase-banner').innerText(), new RegExp(w.banner.replace(/[()]/g, '\\$&')))
        await service.checkAccessibility(page, `${mode} ${path}`, { javaScript })
      }
      await page.close()
    })

    test(`${mode}: feedback from the phase banner, errors first, sent once however often it is clicked`, async () => {
      const page = await service.newPage({ javaScript })
      await page.goto(`${service.base}/am-i-registered?lang=${lang}`)
      const [form] = await Promise.all([
        page.context().waitForEvent('page'),
        page.getByRole('link', { name: w.banner }).click(),
      ])
      await form.waitForLoadState('load')
      assert.equal(new URL(form.url()).searchParams.get('from'), '/am-i-registered')
      const before = exported().length
      // No rating: a specific error, and what was typed is kept.
      const comment = `${mode}: the postcode step was clear. ` + 'ŵ'.repeat(40)
      await form.locator('#comment').fill(comment)
      if (javaScript) {
        // The character count counts as you type, in the page's language.
        await form.waitForFunction(() => !document.querySelector('.govuk-character-count__status')?.classList.contains('govuk-character-count__message--disabled'))
        assert.match(await form.locator('.govuk-character-count__status').innerText(), w.remaining)
      }
      await Promise.all([form.waitForLoadState('load'), form.getByRole('button', { name: w.send }).click()])
      assert.match(await form.locator('.govuk-error-summary').innerText(), new RegExp(w.ratingError))
      assert.equal(await form.locator('#comment').inputValue(), comment)
      await service.checkAccessibility(form, `${mode} feedback errors`, { javaScript })
      await form.getByLabel(w.rating, { exact: true }).check()
      // A double click: the second press sends nothing new.
      await form.getByRole('button', { name: w.send }).dblclick()
      await form.waitForURL(/\/feedback\/thank-you/)
      assert.equal(await form.locator('h1').innerText(), w.thanks)
      await service.checkAccessibility(form, `${mode} feedback thanks`, { javaScript })
      assert.equal(await form.getByRole('link', { name: w.back }).getAttribute('href'), `/am-i-registered?lang=${lang}`)
      const rows = exported()
      assert.equal(rows.length, before + 1, 'stored once')
      // Rows within an hour come in no particular order: find this one by its comment.
      const ours = rows.filter((r) => r.includes(`${mode}: the postcode step was clear.`))
      assert.equal(ours.length, 1, 'stored once')
      assert.match(ours[0], /,satisfied,\/am-i-registered,/)
      await page.context().close()
    })
  }
}
