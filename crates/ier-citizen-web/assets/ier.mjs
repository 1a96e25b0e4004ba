// Progressive enhancement: GOV.UK Frontend's JavaScript components, and the
// address look-up in place. Every page works without this file.
import { initAll } from '/assets/govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()

// The address page: find addresses without leaving the page. The server
// answers a request carrying `x-ier-fragment: address-select` with just the
// address picker (the same form, translations and CSRF token as its own page).
// Anything else (an error page, a "too many requests" page, a timeout, the
// network failing) falls back to submitting the form as a browser would.
const lookup = document.querySelector('form[data-ier-address-lookup]')
const results = document.getElementById('address-results')
if (lookup && results) {
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
    if (response.status !== 200 || !isHtml) {
      lookup.submit()
      return
    }
    // Parsed inertly (no scripts run), then moved into the page.
    const fragment = new DOMParser().parseFromString(await response.text(), 'text/html')
    if (!fragment.querySelector('#address-results-form')) {
      lookup.submit()
      return
    }
    results.replaceChildren(...fragment.body.childNodes)
    initAll({ scope: results })
    const fieldset = results.querySelector('fieldset')
    fieldset.setAttribute('tabindex', '-1')
    fieldset.focus()
  })
}
