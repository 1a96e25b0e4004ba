// The applicant walks of crates/ier-citizen-web/data/walks.json, walked in a
// real browser: each step's forms are filled by field name (radios and
// checkboxes first, as they reveal the fields under them), invalid forms are
// refused with their error and keep their values, and the valid form moves on.
// With JavaScript the address look-up shows its picker in place, and the walk's
// `…/select` step is then answered on that same page. Mirrors `Walk` in
// crates/ier-citizen-web/tests/support/mod.rs.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const walksFile = fileURLToPath(new URL('../crates/ier-citizen-web/data/walks.json', import.meta.url))

/** Every walk of walks.json, in its order. */
export function loadWalks () {
  return JSON.parse(readFileSync(walksFile, 'utf8')).walks.map((json) => new Walk(json))
}

export class Walk {
  constructor (json) {
    this.json = json
    this.name = json.name
    this.kind = json.expect.kind
    this.ero = json.expect.ero
    this.steps = json.steps
  }

  /** A value with the persona's `{placeholders}` filled in. */
  fill (value) {
    return Object.entries(this.json.persona ?? {}).reduce((out, [k, v]) => out.replaceAll(`{${k}}`, v), value)
  }

  /** Where the journey's own pages are: check-answers and complete are under it. */
  get prefix () {
    return this.json.journey === 'ordinary' ? '/register-to-vote' : `/register-to-vote/${this.json.journey}`
  }

  /** What "Check your answers" must show. */
  get check () {
    return this.json.expect.check.map((v) => this.fill(v))
  }

  /** The index of the first step whose form has this field. */
  stepWith (field) {
    return this.steps.findIndex((s) => field in s.form)
  }
}

const t = (lang, en, cy) => (lang === 'cy' ? cy : en)

/**
 * An applicant walking `walk` in `lang` on `page` (a fresh context) against the
 * site at `base`. `onPage(state)` is called on every page shown (state names
 * what it shows beyond its URL: '' for a question, 'error: …', 'address list').
 */
export class Walker {
  constructor (page, walk, { base, lang, javaScript, onPage }) {
    Object.assign(this, { page, walk, base, lang, javaScript, onPage })
    // The status of the document last loaded in the main frame (redirects skipped).
    page.on('response', (r) => {
      if (r.request().isNavigationRequest() && r.frame() === page.mainFrame() && (r.status() < 300 || r.status() >= 400)) {
        this.status = r.status()
      }
    })
  }

  get path () {
    return new URL(this.page.url()).pathname
  }

  /** The home page in this language, then the walk's own start link. */
  async start () {
    await this.page.goto(`${this.base}/?lang=${this.lang}`)
    await this.onPage('')
    await this.navigate(() => this.page.locator(`a[href="/register-to-vote/${this.walk.json.start}"]`).click())
  }

  /**
   * Walk steps [0, n): each page reached where the walk says, each invalid form
   * refused, each valid form accepted.
   */
  async steps (n = this.walk.steps.length) {
    let inPlace = false
    for (const [i, step] of this.walk.steps.slice(0, n).entries()) {
      const where = `${this.walk.name} (${this.lang}, step ${i})`
      const path = `/register-to-vote/${step.page}`
      if (inPlace) {
        assert.equal(`${this.path}/select`, path, `${where}: the picker shown in place is this step's`)
      } else {
        assert.equal(this.path, path, `${where}: on the step's page`)
        assert.equal(this.status, 200, `${where}: GET ${path}`)
        await this.onPage('')
      }
      for (const invalid of step.invalid ?? []) {
        const form = await this.fillForm(invalid.form)
        assert.equal(await this.submit(form), 'error', `${where}: the invalid form is refused`)
        const want = invalid.error[this.lang]
        const summary = await this.page.locator('.govuk-error-summary').innerText()
        assert.ok(summary.includes(want), `${where}: the error summary should say ${want}: ${summary}`)
        await this.assertKept(invalid.form, where)
        await this.onPage(`error: ${want}`)
      }
      const form = await this.fillForm(step.form)
      const outcome = await this.submit(form)
      assert.notEqual(outcome, 'error', `${where}: ${step.page} refused the valid form: ${await this.errors()}`)
      inPlace = outcome === 'address list'
      if (inPlace) {
        assert.equal(this.path, path, `${where}: the look-up stays on its page`)
        await this.onPage('address list')
      }
    }
  }

  /** The whole walk to "Check your answers", which must show what the walk expects. */
  async toCheckAnswers () {
    await this.start()
    await this.steps()
    assert.equal(this.path, `${this.walk.prefix}/check-answers`, `${this.walk.name}: all answered`)
    assert.equal(this.status, 200)
    const summary = await this.page.locator('.govuk-summary-list').innerText()
    for (const text of this.walk.check) {
      assert.ok(summary.includes(text), `${this.walk.name} (${this.lang}): check answers should show ${JSON.stringify(text)}: ${summary}`)
    }
    await this.onPage(`answers of ${this.walk.name}`)
  }

  /**
   * On "Check your answers": its Change link for the name, a middle name added,
   * and back to the summary, which shows it.
   */
  async changeName (middle) {
    const step = this.walk.steps[this.walk.stepWith('middle-names')]
    await this.navigate(() => this.page.locator(`.govuk-summary-list a[href="/register-to-vote/${step.page}"]`).click())
    assert.equal(this.path, `/register-to-vote/${step.page}`)
    await this.submit(await this.fillForm({ ...step.form, 'middle-names': middle }))
    assert.equal(this.path, `${this.walk.prefix}/check-answers`, 'a change returns to the summary')
    const name = `${this.walk.fill('{given}')} ${middle} ${this.walk.fill('{surname}')}`
    const summary = await this.page.locator('.govuk-summary-list').innerText()
    assert.ok(summary.includes(name), `the summary shows ${name}: ${summary}`)
  }

  /** The declaration ticked and the application sent: the reference number shown (without its space). */
  async send () {
    await this.page.getByLabel(t(this.lang, 'I agree', 'Rwy’n cytuno'), { exact: true }).check()
    await this.submit(this.page.locator('main form:has(input[name="declaration"])'))
    assert.equal(this.path, `${this.walk.prefix}/complete`, `${this.walk.name}: sent`)
    assert.equal(this.status, 200)
    const panel = await this.page.locator('.govuk-panel').innerText()
    assert.match(panel, t(this.lang, /Application complete/, /Cais wedi’i gwblhau/))
    const reference = panel.match(/\b([2-9B-DF-HJ-NP-TV-Z]{5}) ([2-9B-DF-HJ-NP-TV-Z]{5})\b/)
    assert.ok(reference, 'a reference number is shown: ' + panel)
    await this.onPage(`complete for ${this.walk.name}`)
    return reference[1] + reference[2]
  }

  /** Fill `fields` (name → value) in the form holding the first of them; that form. */
  async fillForm (fields) {
    const names = Object.keys(fields)
    const form = await this.formWith(names)
    const found = await fieldsOf(form, names)
    // Choices first: with JavaScript the fields they reveal are hidden until then.
    const isChoice = (name) => found[name].kind === 'radio' || found[name].kind === 'checkbox'
    for (const name of [...names.filter(isChoice), ...names.filter((n) => !isChoice(n))]) {
      const { kind, values } = found[name]
      const field = (value) => form.locator(`[name="${name}"]${value === undefined ? '' : `[value="${value}"]`}`)
      const wanted = [fields[name]].flat().map((v) => (v === '@first' ? values[0] : this.walk.fill(v)))
      if (kind === 'radio') {
        await field(wanted[0]).check()
      } else if (kind === 'checkbox') {
        for (const value of values) await (wanted.includes(value) ? field(value).check() : field(value).uncheck())
      } else if (kind === 'select') {
        await field().selectOption(wanted[0])
      } else if (values[0] !== wanted[0]) {
        // Only what needs typing is typed: an optional field left empty may be out of sight.
        await field().fill(wanted[0])
      }
    }
    return form
  }

  /** The form holding the first of these fields (the page's form when there are none). */
  async formWith (names) {
    if (!names.length) return this.page.locator('main form:has(button.govuk-button)').first()
    const form = this.page.locator('main form', { has: this.page.locator(`[name="${names[0]}"]`) })
    assert.equal(await form.count(), 1, `one form at ${this.path} has a field named ${names[0]}`)
    return form
  }

  /** The values of an invalid form, still there on its error page. */
  async assertKept (fields, where) {
    const names = Object.keys(fields)
    const found = await fieldsOf(await this.formWith(names), names)
    for (const name of names) {
      const kept = found[name].kind === 'radio' || found[name].kind === 'checkbox' ? found[name].checked : found[name].values
      assert.deepEqual(kept.sort(), [fields[name]].flat().map((v) => this.walk.fill(v)).sort(), `${where}: ${name} kept`)
    }
  }

  /**
   * Press the form's button. A look-up form with JavaScript answers in place:
   * 'address list' or 'error'; any other form navigates: 'error' when the page
   * it lands on has an error summary, otherwise 'next'.
   */
  async submit (form) {
    const button = form.locator('button.govuk-button')
    if (this.javaScript && (await form.getAttribute('data-ier-address-lookup')) !== null) {
      // What an earlier look-up showed is marked, so only what this one shows counts.
      await this.page.evaluate(() => document.querySelectorAll('#address-results-form, .govuk-error-summary').forEach((e) => e.setAttribute('data-e2e-stale', '')))
      await button.click()
      const shown = this.page.locator('#address-results-form:not([data-e2e-stale]), .govuk-error-summary:not([data-e2e-stale])').first()
      await shown.waitFor()
      if ((await shown.getAttribute('id')) !== 'address-results-form') return 'error'
      assert.ok(await this.page.evaluate(() => document.activeElement.matches('#address-results-form fieldset')), 'focus moves to the addresses')
      return 'address list'
    }
    await this.navigate(() => button.click())
    if (await this.page.locator('.govuk-error-summary').count()) {
      assert.equal(this.status, 400, `an error page at ${this.path}`)
      return 'error'
    }
    return 'next'
  }

  /** Do `action` and wait until the main frame has loaded the document it leads to. */
  async navigate (action) {
    const page = this.page
    await Promise.all([page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() }), action()])
    await page.waitForLoadState('load')
  }

  /** What the error summary says, if there is one (for failure messages). */
  async errors () {
    const summary = this.page.locator('.govuk-error-summary')
    return (await summary.count()) ? summary.innerText() : `none (status ${this.status}, at ${this.path})`
  }
}

/**
 * The form's fields with these names, by name: `kind` (radio, checkbox, select,
 * or text for other inputs and textareas), their `values` (a choice's options,
 * a text's current value) and which options are `checked`.
 */
async function fieldsOf (form, names) {
  const found = await form.evaluate((f, names) => Object.fromEntries(names.map((name) => {
    const els = [...f.querySelectorAll(`[name="${name}"]`)]
    if (!els.length) return [name, null]
    const kind = els[0].type === 'radio' || els[0].type === 'checkbox' ? els[0].type : els[0].tagName === 'SELECT' ? 'select' : 'text'
    return [name, { kind, values: els.map((e) => e.value), checked: els.filter((e) => e.checked).map((e) => e.value) }]
  })), names)
  for (const name of names) assert.ok(found[name], `the form has a field named ${name}`)
  return found
}
