// The ERO portal and the exceptions process, in a real browser against a real
// `ier demo`, without JavaScript (the portal must work without it) and with
// axe-core on every page: a member of staff signs in with the second factor,
// finds the demo application DWP could not match, compares it with the demo's council tax
// extract (the local data step), asks for evidence; the
// applicant's link (from the demo's notifications page) takes a photo of a
// passport; staff see it, download it and register them; the status page shows
// the decision; another ERO's staff cannot see any of it. Then the same pages in Welsh.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { deflateSync } from 'node:zlib'
import { startService, totp } from './service.mjs'

let service
before(async () => { service = await startService() })
after(async () => { await service?.stop() })

/** A small PNG, made here (no fixture files). */
function png (width, height) {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0 })
  const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 255] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0 }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length)
    const body = Buffer.concat([Buffer.from(type), data])
    const sum = Buffer.alloc(4); sum.writeUInt32BE(crc(body))
    return Buffer.concat([len, body, sum])
  }
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4); ihdr.set([8, 2, 0, 0, 0], 8)
  const rows = Buffer.concat(Array.from({ length: height }, () => Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 200)])))
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))])
}

async function click (page, locator) {
  await Promise.all([page.waitForLoadState('load'), locator.click()])
}

/** A first password was set by someone else: the portal asks for the member's own first. */
async function chooseOwnPassword (page, member) {
  assert.equal(new URL(page.url()).pathname, '/account/password', await page.locator('main').innerText())
  assert.match(await page.locator('h1').innerText(), /Choose your own password/)
  const mine = `${member.password} and mine alone`
  await page.locator('#current').fill(member.password)
  await page.locator('#new').fill(mine)
  await page.locator('#confirm').fill(mine)
  await click(page, page.getByRole('button', { name: 'Change password' }))
  member.password = mine
}

async function signIn (page, member, step = 0) {
  await page.goto(service.portal + '/sign-in')
  await page.locator('#username').fill(member.username)
  await page.locator('#password').fill(member.password)
  await click(page, page.getByRole('button', { name: 'Continue' }))
  await page.locator('#code').fill(totp(member.key, step))
  await click(page, page.getByRole('button', { name: 'Sign in' }))
  if (new URL(page.url()).pathname === '/account/password') await chooseOwnPassword(page, member)
  assert.equal(new URL(page.url()).pathname, '/applications', await page.locator('main').innerText())
}

test('staff ask for evidence, the applicant sends it, staff decide; nobody else sees it', async () => {
  assert.ok(service.portal, 'the demo prints the portal')
  const admin = service.staff.find((s) => s.role === 'administrator')
  const other = service.staff.find((s) => s.ero !== admin.ero)
  const page = await service.newPage({ javaScript: false })
  const axe = (what) => service.checkAccessibility(page, `portal ${what}`, { javaScript: false })

  // Signing in: a wrong password first, with its error and the username kept.
  await page.goto(service.portal + '/sign-in')
  await axe('sign in')
  await page.locator('#username').fill(admin.username)
  await page.locator('#password').fill('not the password at all')
  await click(page, page.getByRole('button', { name: 'Continue' }))
  assert.match(await page.locator('.govuk-error-summary').innerText(), /Enter a correct email address and password/)
  assert.equal(await page.locator('#username').inputValue(), admin.username)
  await axe('sign in error')
  await page.locator('#password').fill(admin.password)
  await click(page, page.getByRole('button', { name: 'Continue' }))
  await axe('code')
  await page.locator('#code').fill('000000')
  await click(page, page.getByRole('button', { name: 'Sign in' }))
  assert.match(await page.locator('.govuk-error-summary').innerText(), /Enter a correct code/)
  await page.locator('#code').fill(totp(admin.key))
  await click(page, page.getByRole('button', { name: 'Sign in' }))
  // The demo's first password was set by someone else: nothing until the member chooses their own.
  await page.goto(service.portal + '/applications')
  await axe('first password')
  await chooseOwnPassword(page, admin)
  assert.equal(new URL(page.url()).pathname, '/applications')
  assert.match(await page.locator('.govuk-notification-banner').innerText(), /Your password is changed/)

  // The queue, filtered to no DWP match: the demo's unmatched application.
  await page.locator('#identity').selectOption('no-match')
  await click(page, page.getByRole('button', { name: 'Show applications' }))
  await axe('queue')
  const link = page.locator('main table a').first()
  const reference = (await link.innerText()).trim()
  assert.match(reference, /^[0-9A-Z]{10}$/)
  await click(page, link)
  await axe('application')
  const main = await page.locator('main').innerText()
  assert.match(main, /Morwenna Trevithick/)
  assert.match(main, /No match/)

  // The local data step: the demo's council tax extract (upper-case names in one column,
  // DD/MM/YYYY dates, CRLF, a short row and a date that does not exist) finds her.
  await click(page, page.getByRole('link', { name: 'Local data' }))
  await axe('local data')
  await page.locator('#file').setInputFiles(join(service.data, 'demo-council-tax.csv'))
  await page.getByLabel('Council tax').check()
  await page.locator('#full_name').fill('FULL_NAME')
  await page.locator('#address').fill('ADDR1, ADDR2')
  await page.locator('#postcode').fill('NO_SUCH_COLUMN')
  await click(page, page.getByRole('button', { name: 'Compare' }))
  assert.match(await page.locator('.govuk-error-summary').innerText(), /no column of this name/)
  assert.equal(await page.locator('#full_name').inputValue(), 'FULL_NAME', 'what was typed is kept')
  await axe('local data error')
  await page.locator('#file').setInputFiles(join(service.data, 'demo-council-tax.csv'))
  await page.locator('#postcode').fill('POSTCODE')
  await page.locator('#town').fill('TOWN')
  await page.locator('#date_of_birth').fill('DOB')
  await click(page, page.getByRole('button', { name: 'Compare' }))
  const compared = await page.locator('main').innerText()
  assert.match(compared, /Council tax: [1-9]\d* of \d+ applicants? found/)
  assert.match(compared, /could not be read/)
  assert.doesNotMatch(compared, /LEAP DAY|SHORTROW/, 'values of the file are never shown')
  await axe('local data compared')
  await click(page, page.getByRole('link', { name: reference }))
  assert.match(await page.locator('main').innerText(), /Council tax: found \(strong match\)/)

  // Ask for evidence: a passport.
  await click(page, page.getByRole('button', { name: 'Ask for evidence' }))
  assert.match(await page.locator('.govuk-error-summary').innerText(), /Select at least one document/)
  await page.getByLabel('Passport').check()
  await click(page, page.getByRole('button', { name: 'Ask for evidence' }))
  assert.match(await page.locator('.govuk-notification-banner').innerText(), /sent a link/)
  await axe('application asked')

  // The applicant: the link in the message (the demo's Notify inbox).
  const applicant = await service.newPage({ javaScript: false })
  let href
  for (let i = 0; i < 50 && !href; i++) {
    await applicant.goto(service.base + '/demo/notifications')
    href = (await applicant.locator('main').innerText()).match(/https?:\/\/\S+\/evidence\/[a-z0-9.-]+/)?.[0]
    if (!href) await new Promise((resolve) => setTimeout(resolve, 200))
  }
  assert.ok(href, 'the message carries the link')
  await applicant.goto(href)
  await service.checkAccessibility(applicant, 'evidence form', { javaScript: false })
  const file = join(service.dir, 'passport.png')
  writeFileSync(file, png(64, 40))
  const notAPicture = join(service.dir, 'passport.exe')
  writeFileSync(notAPicture, Buffer.from('MZ this is not a picture'))
  await applicant.locator('#document-1').selectOption('passport')
  await applicant.locator('#file-1').setInputFiles(notAPicture)
  await click(applicant, applicant.getByRole('button', { name: 'Send evidence' }))
  assert.match(await applicant.locator('.govuk-error-summary').innerText(), /must be a PDF, JPG or PNG/)
  assert.equal(await applicant.locator('#document-1').inputValue(), 'passport', 'the choice is kept')
  await service.checkAccessibility(applicant, 'evidence form error', { javaScript: false })
  await applicant.locator('#file-1').setInputFiles(file)
  await click(applicant, applicant.getByRole('button', { name: 'Send evidence' }))
  assert.match(await applicant.locator('h1').innerText(), /Evidence sent/)
  await service.checkAccessibility(applicant, 'evidence sent', { javaScript: false })
  await applicant.goto(href)
  assert.match(await applicant.locator('h1').innerText(), /This link has been used/)

  // Staff see it, download it, and register the applicant.
  await page.goto(`${service.portal}/applications/${reference}`)
  assert.match(await page.locator('main').innerText(), /Passport/)
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /Download \(PNG/ }).click()])
  assert.match(download.suggestedFilename(), new RegExp(`^${reference}-passport\\.png$`))
  await page.getByRole('radio', { name: 'Registered', exact: true }).check()
  await page.locator('#from-day').fill('31')
  await page.locator('#from-month').fill('2')
  await page.locator('#from-year').fill('2030')
  await click(page, page.getByRole('button', { name: 'Record decision' }))
  assert.match(await page.locator('.govuk-error-summary').innerText(), /Enter a real date/)
  assert.equal(await page.getByRole('radio', { name: 'Registered', exact: true }).isChecked(), true, 'the choice is kept')
  await axe('decision error')
  for (const part of ['day', 'month', 'year']) await page.locator(`#from-${part}`).fill('')
  await click(page, page.getByRole('button', { name: 'Record decision' }))
  assert.match(await page.locator('.govuk-notification-banner').innerText(), /decision is recorded/)

  // The EMS hears of it: `ier ems poll` reads the determinations feed.
  const { out, printed } = service.poll(admin.ero)
  assert.match(printed, /read [1-9]\d* determinations/)
  assert.match(readFileSync(join(out, 'determinations.csv'), 'utf8'), new RegExp(`^${reference},approved,,`, 'm'))

  // The applicant's status page shows it (the demo's first identity's date of birth).
  const dob = service.identities[0].dob
  await applicant.goto(service.base + '/register-to-vote/status')
  await applicant.locator('#reference').fill(reference)
  await applicant.locator('#dob-day').fill(dob[0])
  await applicant.locator('#dob-month').fill(dob[1])
  await applicant.locator('#dob-year').fill(dob[2])
  await click(applicant, applicant.locator('main form button'))
  assert.match(await applicant.locator('main').innerText(), /added to the electoral register/)

  // The same pages in Welsh.
  await page.goto(`${service.portal}/applications/${reference}?lang=cy`)
  assert.equal(await page.locator('html').getAttribute('lang'), 'cy')
  assert.match(await page.locator('main').innerText(), /Wedi cofrestru/)
  await axe('application cy')
  await page.goto(`${service.portal}/applications?lang=cy`)
  await axe('queue cy')
  await page.goto(`${service.portal}/applications?lang=en`)

  // Another ERO's officer: not in their queue, "not found" by its address.
  const theirs = await service.newPage({ javaScript: true })
  await signIn(theirs, other)
  assert.doesNotMatch(await theirs.locator('main').innerText(), new RegExp(reference))
  await service.checkAccessibility(theirs, 'portal queue js')
  const response = await theirs.goto(`${service.portal}/applications/${reference}`)
  assert.equal(response.status(), 404)

  // Signing out ends the session.
  await click(page, page.getByRole('button', { name: 'Sign out' }))
  assert.match(await page.locator('main').innerText(), /You have signed out/)
  await page.goto(service.portal + '/applications')
  assert.equal(new URL(page.url()).pathname, '/sign-in')
})
