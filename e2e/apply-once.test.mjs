// Apply once, in a real browser against a real `ier demo`: "Am I registered?"
// answers yes for a demo identity on the register and no for anyone else; the
// demo (/demo) walks a journey filled in for a made-up person and sends it
// without storing it; a repeat applicant is told on "Check your answers"
// before sending. Both languages, with and without JavaScript; axe-core
// checks every page.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { loadWalks, Walker } from './walker.mjs'
import { startService } from './service.mjs'

let service
before(async () => { service = await startService() })
after(async () => { await service?.stop() })

const t = (lang, en, cy) => (lang === 'cy' ? cy : en)

async function go (page, action) {
  await Promise.all([page.waitForLoadState('load'), action()])
}

async function askRegistered (page, who, house, postcode) {
  await page.locator('#given-name').fill(who.given)
  await page.locator('#surname').fill(who.surname)
  await page.locator('#dob-day').fill(who.dob[0])
  await page.locator('#dob-month').fill(who.dob[1])
  await page.locator('#dob-year').fill(who.dob[2])
  await page.locator('#house').fill(house)
  await page.locator('#postcode').fill(postcode)
  await go(page, () => page.locator('main form button').click())
}

for (const { lang, javaScript } of [{ lang: 'en', javaScript: true }, { lang: 'cy', javaScript: false }]) {
  const mode = `${lang}, ${javaScript ? 'with' : 'without'} JavaScript`

  test(`${mode}: "Am I registered?" says yes to a registered elector and no to anyone else`, async () => {
    const page = await service.newPage({ javaScript })
    const axe = (what) => service.checkAccessibility(page, `${mode} ${what}`, { javaScript })
    const registered = service.identities.find((i) => i.registered)
    assert.ok(registered, 'the demo puts someone on the register')
    const parts = registered.address.split(', ')
    const postcode = parts[parts.length - 1]
    const house = parts.slice(0, -2).join(', ')

    await page.goto(`${service.base}/?lang=${lang}`)
    await go(page, () => page.getByRole('link', { name: t(lang, 'Check if you are already registered', 'Gwirio a ydych eisoes wedi cofrestru') }).click())
    assert.equal(new URL(page.url()).pathname, '/am-i-registered')
    await axe('am-i-registered form')

    // Nothing typed: every field says what is missing.
    await go(page, () => page.locator('main form button').click())
    assert.match(await page.locator('.govuk-error-summary').innerText(), t(lang, /Enter your first name/, /Rhowch eich enw cyntaf/))
    await axe('am-i-registered errors')

    await askRegistered(page, registered, house, postcode.toLowerCase())
    const yes = await page.locator('main').innerText()
    assert.match(yes, t(lang, /You appear to be registered to vote at this address/, /Mae’n ymddangos eich bod wedi cofrestru/))
    await axe('am-i-registered yes')

    await page.goto(`${service.base}/am-i-registered`)
    await askRegistered(page, { ...registered, given: 'Zebedee' }, house, postcode)
    const no = await page.locator('main').innerText()
    assert.match(no, t(lang, /We cannot find you on the register/, /Ni allwn ddod o hyd i chi ar y gofrestr/))
    assert.ok(!no.includes(registered.given), 'nothing the asker did not type')
    await axe('am-i-registered no')
  })

  test(`${mode}: the demo fills in a made-up person and sends nothing`, async () => {
    const page = await service.newPage({ javaScript })
    const axe = (what) => service.checkAccessibility(page, `${mode} ${what}`, { javaScript })
    await page.goto(`${service.base}/?lang=${lang}`)
    await go(page, () => page.getByRole('link', { name: t(lang, 'Try the service without applying', 'Rhoi cynnig ar y gwasanaeth heb wneud cais') }).click())
    assert.equal(new URL(page.url()).pathname, '/demo')
    await axe('demo')
    await go(page, () => page.getByRole('button', { name: t(lang, 'Fill in a made-up person', 'Llenwi manylion person dychmygol') }).first().click())
    assert.equal(new URL(page.url()).pathname, '/register-to-vote/check-answers')
    const banner = t(lang, 'This is a demo', 'Demo yw hwn')
    assert.ok((await page.locator('.govuk-notification-banner').innerText()).includes(banner))
    await axe('demo check answers')
    await page.getByLabel(t(lang, 'I agree', 'Rwy’n cytuno'), { exact: true }).check()
    await go(page, () => page.locator('main form:has(input[name="declaration"]) button').click())
    assert.equal(new URL(page.url()).pathname, '/register-to-vote/complete')
    assert.ok((await page.locator('.govuk-notification-banner').innerText()).includes(banner))
    assert.match(await page.locator('.govuk-panel').innerText(), /[2-9B-DF-HJ-NP-TV-Z]{5} [2-9B-DF-HJ-NP-TV-Z]{5}/)
    await axe('demo complete')
  })
}

test('a repeat applicant is told before sending, and may still send', async () => {
  const walk = loadWalks().find((w) => w.name === 'ordinary-quick')
  for (const lang of ['en', 'cy']) {
    const page = await service.newPage({ javaScript: true })
    const w = new Walker(page, walk, { base: service.base, lang, javaScript: true, onPage: async () => {} })
    await w.toCheckAnswers()
    const notice = await page.locator('#repeat').count()
    if (lang === 'en') {
      assert.equal(notice, 0, 'the first time, nothing to say')
    } else {
      const text = await page.locator('#repeat').innerText()
      assert.match(text, /Gwnaethoch gais i gofrestru ar/)
      await service.checkAccessibility(page, 'cy repeat notice', { javaScript: true })
    }
    await w.send()
  }
})
