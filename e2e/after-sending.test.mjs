// After "Send application", in a real browser against a real `ier demo`: the
// acknowledgement in the demo's inbox in the applicant's language; "Check your
// application" from the complete page with the reference and the date of birth
// (a wrong date of birth refused, what was typed kept); and the decision shown
// once the ERO's EMS has taken the application and sent its determination.
// Axe-core checks every page, with and without JavaScript.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { loadWalks, Walker } from './walker.mjs'
import { startService } from './service.mjs'

let service
before(async () => { service = await startService() })
after(async () => { await service?.stop() })

const walk = loadWalks().find((w) => w.name === 'ordinary')

/** Reload `path` until its main content includes `text` (workers run in the background). */
async function waitFor (page, path, text) {
  let main = ''
  for (let i = 0; i < 50; i++) {
    await page.goto(service.base + path)
    main = await page.locator('main').innerText()
    if (main.includes(text)) return main
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  assert.fail(`${path} never showed ${JSON.stringify(text)}: ${main}`)
}

async function lookUp (page, reference, dob) {
  await page.locator('#reference').fill(reference)
  await page.locator('#dob-day').fill(dob[0])
  await page.locator('#dob-month').fill(dob[1])
  await page.locator('#dob-year').fill(dob[2])
  await Promise.all([page.waitForLoadState('load'), page.locator('main form button').click()])
}

for (const { lang, javaScript } of [{ lang: 'cy', javaScript: true }, { lang: 'en', javaScript: false }]) {
  test(`${lang}, ${javaScript ? 'with' : 'without'} JavaScript: told, checked, decided`, async () => {
    const page = await service.newPage({ javaScript })
    const axe = (what) => service.checkAccessibility(page, `${lang} ${javaScript ? 'js' : 'no-js'} ${what}`, { javaScript })
    const w = new Walker(page, walk, { base: service.base, lang, javaScript, onPage: async () => {} })
    await w.toCheckAnswers()
    const reference = await w.send()
    const grouped = reference.slice(0, 5) + ' ' + reference.slice(5)
    const t = (en, cy) => (lang === 'cy' ? cy : en)

    // The complete page offers the check; the form is in the applicant's language.
    await Promise.all([page.waitForLoadState('load'), page.getByRole('link', { name: t('Check your application', 'Gwirio eich cais') }).last().click()])
    assert.equal(new URL(page.url()).pathname, '/register-to-vote/status')
    assert.equal(await page.locator('html').getAttribute('lang'), lang)
    await axe('status form')

    // A wrong date of birth: the same refusal as any, with what was typed kept.
    const dob = ['{dob-day}', '{dob-month}', '{dob-year}'].map((v) => walk.fill(v))
    await lookUp(page, grouped.toLowerCase(), [dob[0], dob[1], String(Number(dob[2]) + 1)])
    const refused = await page.locator('.govuk-error-summary').innerText()
    assert.match(refused, t(/could not find an application/, /Nid oeddem yn gallu dod o hyd i gais/))
    assert.equal(await page.locator('#reference').inputValue(), grouped.toLowerCase())
    await axe('status not found')

    await lookUp(page, grouped, dob)
    let main = await page.locator('main').innerText()
    assert.ok(main.includes(grouped), main)
    assert.ok(main.includes(t('Application received', 'Cais wedi dod i law')), main)
    assert.ok(!main.includes(walk.fill('{surname}')), 'nothing personal is shown')
    await axe('status result')

    // The acknowledgement, in the applicant's language, in the demo's inbox (a letter: they chose post).
    const inbox = await service.newPage({ javaScript })
    const letters = await waitFor(inbox, `/demo/notifications?lang=${lang}`, grouped)
    assert.ok(letters.includes(t('Your application to register to vote', 'Eich cais i gofrestru i bleidleisio')), letters)
    await service.checkAccessibility(inbox, `${lang} ${javaScript ? 'js' : 'no-js'} inbox`, { javaScript })

    // The ERO's EMS takes it and registers them: the status says so, and so does a message.
    const ero = service.lookup(walk.fill(walk.steps.find((s) => 'postcode' in s.form).form.postcode))
    const sent = service.determine(ero.id, reference, 'approved')
    assert.match(sent, /approved/)
    await page.goto(service.base + '/register-to-vote/status')
    await lookUp(page, reference, dob)
    main = await page.locator('main').innerText()
    assert.ok(main.includes(t('You were added to the electoral register', 'Cawsoch eich ychwanegu at y gofrestr etholiadol')), main)
    await axe('status decided')
    await waitFor(inbox, `/demo/notifications?lang=${lang}`, t('You are registered to vote', 'Rydych wedi cofrestru i bleidleisio'))
    await page.context().close()
    await inbox.context().close()
  })
}
