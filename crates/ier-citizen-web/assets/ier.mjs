// Progressive enhancement: GOV.UK Frontend's JavaScript components, the
// address look-up in place, and the warning before a journey times out.
// Every page works without this file.
import { initAll } from '/assets/govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()

// The address pages: find addresses without leaving the page. The server
// answers a request carrying `x-ier-fragment: address-select` with just the
// address picker (the same form, translations and CSRF token as its own page).
// Anything else it answers (an error, "too many requests") is a whole page:
// it replaces this page's content, so the look-up is never sent twice. Only
// when nothing comes back (no network) is the form submitted as a browser would.
function enhanceAddressLookup (root) {
  const lookup = root.querySelector('form[data-ier-address-lookup]')
  const results = root.querySelector('#address-results')
  if (!lookup || !results) return
  lookup.addEventListener('submit', async (event) => {
    event.preventDefault()
    let response
    try {
      response = await fetch(lookup.action, {
        method: 'POST',
        body: new URLSearchParams(new FormData(lookup)),
        headers: { 'x-ier-fragment': 'address-select' },
        credentials: 'same-origin',
        redirect: 'manual'
      })
    } catch {
      lookup.submit()
      return
    }
    const isHtml = (response.headers.get('content-type') || '').startsWith('text/html')
    if (!isHtml) {
      lookup.submit()
      return
    }
    // Parsed inertly (no scripts run), then moved into the page.
    const answer = new DOMParser().parseFromString(await response.text(), 'text/html')
    const picker = answer.querySelector('#address-results-form')
    if (response.status === 200 && picker) {
      clearErrors(root)
      results.replaceChildren(...answer.body.childNodes)
      initAll({ scope: results })
      const fieldset = results.querySelector('fieldset')
      fieldset.setAttribute('tabindex', '-1')
      fieldset.focus()
      return
    }
    showPage(answer)
  })
}

// A whole page the server answered with (an error): its content replaces this
// page's, as if the browser had loaded it, and focus moves to its error summary.
function showPage (answer) {
  const main = document.querySelector('main')
  const next = answer.querySelector('main')
  if (!main || !next) {
    window.location.reload()
    return
  }
  document.title = answer.title
  main.replaceChildren(...next.childNodes)
  initAll({ scope: main })
  enhanceAddressLookup(main)
  const summary = main.querySelector('.govuk-error-summary')
  if (summary) {
    summary.setAttribute('tabindex', '-1')
    summary.focus()
  }
}

// After a successful look-up, nothing of an earlier error stays on the page.
function clearErrors (root) {
  root.querySelectorAll('.govuk-error-summary').forEach((e) => e.remove())
  root.querySelectorAll('.govuk-form-group--error').forEach((e) => e.classList.remove('govuk-form-group--error'))
  root.querySelectorAll('.govuk-input--error').forEach((e) => e.classList.remove('govuk-input--error'))
  root.querySelectorAll('form[data-ier-address-lookup] .govuk-error-message').forEach((e) => e.remove())
  root.querySelectorAll('form[data-ier-address-lookup] [aria-describedby]').forEach((e) => {
    const ids = e.getAttribute('aria-describedby').split(' ').filter((id) => !id.endsWith('-error'))
    if (ids.length) e.setAttribute('aria-describedby', ids.join(' '))
    else e.removeAttribute('aria-describedby')
  })
  document.title = document.title.replace(/^(Error|Gwall): /, '')
}

enhanceAddressLookup(document)

// The timeout warning (GOV.UK's pattern): a journey's answers are deleted
// after 20 minutes without a request. Two minutes before, a dialog (fetched
// from the server then, in the page's language) offers to continue, which keeps
// the journey alive; if nobody answers, the page moves to the "timed out" page,
// which deletes the answers at once.
const IDLE_MS = 20 * 60 * 1000
const WARN_MS = 18 * 60 * 1000
if (document.body.hasAttribute('data-ier-journey') && 'HTMLDialogElement' in window) {
  let warnTimer
  let endTimer
  const arm = () => {
    clearTimeout(warnTimer)
    clearTimeout(endTimer)
    warnTimer = setTimeout(warn, WARN_MS)
    endTimer = setTimeout(() => { window.location.href = '/register-to-vote/timed-out' }, IDLE_MS)
  }
  const warn = async () => {
    let markup
    try {
      const response = await fetch('/register-to-vote/timeout-warning?lang=' + document.documentElement.lang, { credentials: 'same-origin' })
      markup = await response.text()
    } catch {
      return
    }
    const dialog = new DOMParser().parseFromString(markup, 'text/html').querySelector('dialog')
    if (!dialog) return
    document.body.appendChild(dialog)
    dialog.querySelector('button').addEventListener('click', async () => {
      try {
        await fetch('/register-to-vote/keep-alive', { credentials: 'same-origin' })
        arm()
      } catch {
        window.location.reload()
      }
      dialog.close()
      dialog.remove()
    })
    dialog.addEventListener('cancel', (event) => event.preventDefault())
    dialog.showModal()
  }
  arm()
}

// The performance page: today's count of applications updates itself every
// 30 seconds (without JavaScript, a refresh shows the latest figures). Not
// announced to screen readers each time: that would interrupt every 30 seconds.
const live = document.querySelector('[data-ier-live-figures]')
if (live) {
  const count = document.getElementById('applications-today')
  const hint = document.getElementById('perf-refresh')
  if (hint) hint.hidden = true
  setInterval(async () => {
    try {
      const response = await fetch('/performance/today.json', { credentials: 'omit' })
      if (!response.ok) return
      const today = await response.json()
      count.textContent = today.applications.toLocaleString('en-GB')
    } catch {
      // Offline: keep the last figure.
    }
  }, 30000)
}
