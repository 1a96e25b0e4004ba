# Negeseuon Cymraeg ar gyfer y wefan gyhoeddus.

service-name = Cofrestru i bleidleisio
govuk = GOV.UK
skip-to-main = Neidio i’r prif gynnwys
language-nav-label = Iaith
footer-licence = Mae’r holl gynnwys ar gael o dan y Drwydded Llywodraeth Agored v3.0, oni nodir yn wahanol
footer-copyright = © Hawlfraint y Goron
error-prefix = Gwall
error-summary-title = Mae problem wedi codi

start-title = Cofrestru i bleidleisio
start-lead = Cofrestrwch i bleidleisio mewn etholiadau yng Nghymru, Lloegr a’r Alban. Fel arfer mae’n cymryd tua 5 munud.
start-nino = Gofynnir i chi am eich rhif Yswiriant Gwladol (ond gallwch gofrestru o hyd os nad oes gennych un).
find-council-heading = Dod o hyd i’ch cyngor
find-council-intro = Mae eich cais yn mynd i’r Swyddog Cofrestru Etholiadol ar gyfer y cyngor lle rydych yn byw.
postcode-label = Cod post
find-council-button = Dod o hyd i’ch cyngor

error-postcode-empty = Rhowch god post
error-postcode-format = Rhowch god post go iawn, fel SW1A 1AA
error-postcode-unknown = Ni allem ddod o hyd i’r cod post hwnnw. Gwiriwch ef, neu rhowch eich cyfeiriad â llaw pan fyddwch yn gwneud cais

council-title = Eich cyngor
council-registers = Mae pobl sy’n byw yn { $postcode } yn cofrestru gyda { $council }.
council-ero = Anfonir ceisiadau at y Swyddog Cofrestru Etholiadol yn { $ero }.
back-to-start = Yn ôl i’r dechrau

ni-title = Cofrestru yng Ngogledd Iwerddon
ni-body = Mae { $postcode } yng Ngogledd Iwerddon. Swyddfa Etholiadol Gogledd Iwerddon (EONI) sy’n cofrestru pleidleiswyr yno, nid y gwasanaeth hwn.
ni-link = Cofrestru gyda Swyddfa Etholiadol Gogledd Iwerddon
crown-title = Ni allwch gofrestru yma gyda’r cyfeiriad hwn
crown-body = Mae { $postcode } yn Ynysoedd y Sianel neu Ynys Manaw, sydd â’u cofrestrau etholiadol eu hunain.
bfpo-title = Cyfeiriadau BFPO
bfpo-body = Cyfeiriad post y lluoedd arfog yw rhif BFPO. I gofrestru, defnyddiwch y cyfeiriad yn y DU lle rydych yn byw neu lle roeddech yn byw ddiwethaf.

not-found-title = Heb ddod o hyd i’r dudalen
not-found-body = Os gwnaethoch deipio’r cyfeiriad gwe, gwiriwch ei fod yn gywir.

addresses-found = { $count ->
    [zero] Dim cyfeiriadau wedi’u canfod
    [one] 1 cyfeiriad wedi’i ganfod
    [two] 2 gyfeiriad wedi’u canfod
    [few] { $count } chyfeiriad wedi’u canfod
    [many] { $count } chyfeiriad wedi’u canfod
   *[other] { $count } cyfeiriad wedi’u canfod
}
