// The public performance page and open data in a real browser against a real
// `ier demo`: the demo's applications are in the charts and tables, in English
// and Welsh, with and without JavaScript; axe-core checks each page; the open
// data files load and parse; today's figure updates itself where JavaScript runs.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startService } from './service.mjs'

let service
before(async () => { service = await startService() })
after(async () => { await service?.stop() })

for (const { lang, javaScript } of [{ lang: 'en', javaScript: true }, { lang: 'cy', javaScript: false }]) {
  const mode = `${lang}, ${javaScript ? 'with' : 'without'} JavaScript`

  test(`${mode}: the performance page shows the demo's applications`, async () => {
    const page = await service.newPage({ javaScript })
    // Found from any page's footer.
    await page.goto(`${service.base}/?lang=${lang}`)
    await Promise.all([
      page.waitForLoadState('load'),
      page.getByRole('link', { name: lang === 'cy' ? 'Perfformiad y gwasanaeth' : 'Service performance' }).click()
    ])
    assert.equal(new URL(page.url()).pathname, '/performance')
    await service.checkAccessibility(page, `${mode} performance`, { javaScript })
    const today = Number((await page.locator('#applications-today').innerText()).replace(/,/g, ''))
    assert.ok(today >= 8, `the demo's applications are counted (${today})`)
    // Seven charts, each an image with a title and a description, each with its table.
    const charts = page.locator('svg.ier-chart')
    assert.equal(await charts.count(), 7)
    for (let i = 0; i < 7; i++) {
      const labelledBy = await charts.nth(i).getAttribute('aria-labelledby')
      for (const id of labelledBy.split(' ')) assert.ok(await page.locator(`[id="${id}"]`).count(), id)
    }
    const nations = await page.locator('table', { hasText: lang === 'cy' ? 'Gwlad' : 'Nation' }).first().innerText()
    assert.match(nations, lang === 'cy' ? /Cymru\s+1/ : /Wales\s+1/)
    // The hourly figures are published only from 10.
    await page.locator('details', { hasText: lang === 'cy' ? 'Dangos y ffigurau fel tabl' : 'Show the figures as a table' }).first().locator('summary').click()
    assert.match(await page.locator('main').innerText(), lang === 'cy' ? /llai na 10/ : /fewer than 10/)
    if (javaScript) {
      const json = await page.evaluate(async () => (await fetch('/performance/today.json')).json())
      assert.equal(json.applications, today)
    }
    await page.close()
  })
}

test('the open data files load and parse', async () => {
  const page = await service.newPage({ javaScript: true })
  await page.goto(`${service.base}/performance/data`)
  await service.checkAccessibility(page, 'open data', { javaScript: true })
  const links = await page.locator('main table a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))
  assert.equal(links.length, 12)
  for (const href of links) {
    const res = await fetch(`${service.base}${href}`)
    assert.equal(res.status, 200, href)
    const body = await res.text()
    if (href.endsWith('.csv')) {
      const [header, ...rows] = body.trim().split('\n')
      assert.ok(header.split(',').length >= 2 && rows.length > 0, href)
    } else {
      const json = JSON.parse(body)
      assert.equal(json.licence, 'Open Government Licence v3.0', href)
      assert.ok(Array.isArray(json.records) && json.records.length > 0, href)
    }
    assert.ok(res.headers.get('etag'), href)
  }
  const openapi = await (await fetch(`${service.base}/api/openapi.json`)).json()
  assert.ok(openapi.paths['/api/eros'])
  await page.close()
})
