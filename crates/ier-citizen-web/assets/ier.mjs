// Progressive enhancement: turn on GOV.UK Frontend's JavaScript components.
// Every page works without this file.
import { initAll } from '/assets/govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()
