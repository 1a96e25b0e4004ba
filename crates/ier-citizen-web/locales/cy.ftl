# Negeseuon Cymraeg ar gyfer y wefan gyhoeddus.

service-name = Cofrestru i bleidleisio
govuk = GOV.UK
skip-to-main = Neidio i’r prif gynnwys
language-nav-label = Iaith
footer-licence = Mae’r holl gynnwys ar gael o dan y Drwydded Llywodraeth Agored v3.0, oni nodir yn wahanol
footer-copyright = © Hawlfraint y Goron
error-prefix = Gwall
error-summary-title = Mae problem wedi codi

start-now = Dechrau nawr
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
council-ero = Anfonir ceisiadau at Swyddog Cofrestru Etholiadol { $ero }.
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

# Y daith arferol.
continue = Parhau
back = Yn ôl
csrf-title = Mae’n ddrwg gennym, mae problem wedi codi
csrf-body = Nid oedd modd cadw eich ateb oherwydd bod y dudalen wedi dyddio. Gall hyn ddigwydd os oedd y cais ar agor mewn tab neu ffenestr arall, neu os cafodd ei ddechrau eto.
csrf-continue = Parhau â’ch cais
timeout-title = Mae eich cais wedi dod i ben
timeout-body = Rydym wedi dileu eich atebion oherwydd na wnaethoch unrhyw beth am 20 munud. Rydym yn gwneud hyn i gadw eich gwybodaeth yn ddiogel.
timeout-restart = Dechrau eto

country-title = Ble rydych chi’n byw?
country-england = Lloegr
country-scotland = Yr Alban
country-wales = Cymru
country-northern-ireland = Gogledd Iwerddon
country-abroad = Rwy’n byw dramor
error-country = Dewiswch ble rydych chi’n byw

exit-ni-title = Mae angen i chi gofrestru gyda Swyddfa Etholiadol Gogledd Iwerddon
exit-ni-body = Os ydych yn byw yng Ngogledd Iwerddon, rydych yn cofrestru i bleidleisio gyda Swyddfa Etholiadol Gogledd Iwerddon (EONI).
exit-ni-address-body = Mae { $postcode } yng Ngogledd Iwerddon. Os ydych yn byw, neu wedi byw ddiwethaf, yng Ngogledd Iwerddon, cofrestrwch gyda Swyddfa Etholiadol Gogledd Iwerddon (EONI), nid y gwasanaeth hwn.

nationality-title = Beth yw eich cenedligrwydd?
nationality-hint = Dewiswch bob un sy’n berthnasol
nationality-british = Prydeinig
nationality-irish = Gwyddelig
nationality-other = Dinesydd gwlad wahanol
nationality-other-label = Gwlad
nationality-other-hint = Gallwch ychwanegu hyd at 3 gwlad
nationality-none-label = Os na allwch roi eich cenedligrwydd, dywedwch wrthym pam
error-nationality-nothing = Dewiswch eich cenedligrwydd neu genedligrwyddau, neu esboniwch pam na allwch ei roi
error-nationality-too-many = Gallwch ychwanegu hyd at 3 gwlad arall
error-nationality-british-or-irish = Dewiswch Prydeinig neu Wyddelig yn lle rhoi’r Deyrnas Unedig neu Iwerddon
error-nationality-duplicate = Rydych wedi rhoi’r un wlad ddwywaith
error-nationality-unknown-country = Rhowch wlad o’r rhestr, fel Ffrainc
error-nationality-reason-too-long = Rhaid i’ch esboniad fod yn 500 nod neu lai
error-nationality-and-reason = Dewiswch eich cenedligrwydd neu dywedwch wrthym pam na allwch ei roi, nid y ddau

exit-no-franchise-title = Ni allwch gofrestru i bleidleisio gyda’r cenedligrwydd hwn
exit-no-franchise-body = Yn seiliedig ar eich cenedligrwydd, nid ydych yn gymwys i gofrestru i bleidleisio lle rydych yn byw.

dob-title = Beth yw eich dyddiad geni?
dob-hint = Er enghraifft, 27 3 2007
dob-day = Diwrnod
dob-month = Mis
dob-year = Blwyddyn
error-dob-missing = Rhowch eich dyddiad geni, gan gynnwys diwrnod, mis a blwyddyn
error-dob-not-a-number = Rhaid i’r dyddiad geni fod yn ddyddiad go iawn, gyda’r diwrnod, y mis a’r flwyddyn fel rhifau
error-dob-not-a-real-date = Rhaid i’r dyddiad geni fod yn ddyddiad go iawn
error-dob-in-the-future = Rhaid i’r dyddiad geni fod yn y gorffennol
error-dob-too-long-ago = Rhaid i’r dyddiad geni fod ar ôl { $year }

exit-too-young-title = Rydych yn rhy ifanc i gofrestru i bleidleisio
exit-too-young-body = Gallwch gofrestru i bleidleisio o { $age } oed lle rydych yn byw. Gallwch gofrestru ar { $date } neu ar ôl hynny.

name-title = Beth yw eich enw?
name-given = Enw cyntaf
name-middle = Enwau canol (dewisol)
name-surname = Cyfenw
error-name-given-empty = Rhowch eich enw cyntaf
error-name-surname-empty = Rhowch eich cyfenw
error-name-too-long = Rhaid i’r { $field } fod yn { $max } nod neu lai
error-name-invalid = Dim ond llythrennau, bylchau, cysylltnodau, collnodau ac atalnodau llawn y gall y { $field } eu cynnwys
error-name-must-start-with-letter = Rhaid i’r { $field } ddechrau gyda llythyren

nino-title = Beth yw eich rhif Yswiriant Gwladol?
nino-hint = Mae ar eich cerdyn Yswiriant Gwladol, llythyr budd-dal, slip cyflog neu P60. Er enghraifft, ‘QQ 12 34 56 C’.
nino-label = Rhif Yswiriant Gwladol
nino-reason-label = Os nad oes gennych rif Yswiriant Gwladol, neu os na allwch ddod o hyd iddo, dywedwch wrthym pam
error-nino-missing = Rhowch eich rhif Yswiriant Gwladol, neu dywedwch wrthym pam na allwch
error-nino-format = Rhowch rif Yswiriant Gwladol yn y fformat cywir: 2 lythyren, 6 rhif, yna A, B, C neu D
error-nino-prefix = Gwiriwch y 2 lythyren gyntaf yn eich rhif Yswiriant Gwladol: nid oes unrhyw rif Yswiriant Gwladol yn dechrau gyda’r rhain
error-nino-example = QQ 12 34 56 C yw’r enghraifft: rhowch eich rhif Yswiriant Gwladol eich hun
error-nino-and-reason = Rhowch eich rhif Yswiriant Gwladol neu dywedwch wrthym pam na allwch, nid y ddau
error-nino-suffix = Rhaid i lythyren olaf rhif Yswiriant Gwladol fod yn A, B, C neu D
error-nino-reason-too-long = Rhaid i’ch esboniad fod yn 500 nod neu lai

address-title = Beth yw eich cyfeiriad?
address-postcode-hint = Er enghraifft, SW1A 1AA
address-find = Dod o hyd i’r cyfeiriad
address-manual-link = Rhoi eich cyfeiriad â llaw
address-select-title = Dewiswch eich cyfeiriad
address-select-label = Cyfeiriadau yn { $postcode }
address-not-listed = Nid yw fy nghyfeiriad wedi’i restru
address-change-postcode = Newid cod post
address-none-found = Ni allem ddod o hyd i unrhyw gyfeiriadau yn { $postcode }.
error-address-select = Dewiswch eich cyfeiriad
address-manual-title = Rhowch eich cyfeiriad
address-line-1 = Llinell gyntaf y cyfeiriad
address-line-2 = Ail linell y cyfeiriad (dewisol)
address-town = Tref neu ddinas
error-address-line-1 = Rhowch linell gyntaf y cyfeiriad, sef yr adeilad a’r stryd fel arfer
error-address-town = Rhowch dref neu ddinas
error-address-too-long = Rhaid i’r { $field } fod yn 100 nod neu lai
error-address-postcode-unknown = Ni allem ddod o hyd i ba gyngor sy’n gyfrifol am y cod post hwn. Gwiriwch ei fod yn gywir
error-address-northern-ireland = Cod post yng Ngogledd Iwerddon yw hwn: cofrestrwch gyda Swyddfa Etholiadol Gogledd Iwerddon
error-address-not-gb = Rhowch god post yng Nghymru, Lloegr neu’r Alban

yes = Ydw
no = Nac ydw
open-register-title = Ydych chi eisiau bod ar y gofrestr agored?
open-register-hint = Mae’r gofrestr agored yn ddetholiad o’r gofrestr etholiadol y gall unrhyw un ei phrynu. Nid yw eich dewis yn effeithio ar eich hawl i bleidleisio.
error-open-register = Dewiswch ydw os ydych eisiau bod ar y gofrestr agored
postal-vote-title = Ydych chi eisiau gwneud cais am bleidlais bost?
postal-vote-hint = Os ydych eisiau un, bydd eich Swyddog Cofrestru Etholiadol yn anfon ffurflen gais am bleidlais bost atoch i’w llenwi a’i dychwelyd.
error-postal-vote = Dewiswch a ydych eisiau gwneud cais am bleidlais bost
contact-title = Sut dylem gysylltu â chi os oes gennym gwestiynau am eich cais?
contact-hint = Dewiswch bob un sy’n berthnasol
contact-email = E-bost
contact-email-label = Cyfeiriad e-bost
contact-phone = Ffôn
contact-phone-label = Rhif ffôn
contact-post = Post
error-contact-none = Dewiswch sut y gallwn gysylltu â chi
error-contact-email = Rhowch gyfeiriad e-bost yn y fformat cywir, fel enw@enghraifft.com
error-contact-phone = Rhowch rif ffôn, fel 01632 960 001 neu +44 808 157 0192

check-title = Gwiriwch eich atebion cyn anfon eich cais
check-change = Newid
check-where = Ble rydych yn byw
check-nationality = Cenedligrwydd
check-nationality-none = Heb ei roi: { $reason }
check-dob = Dyddiad geni
check-name = Enw
check-nino = Rhif Yswiriant Gwladol
check-nino-none = Heb ei roi: { $reason }
check-address = Cyfeiriad
check-open-register = Y gofrestr agored
check-postal-vote = Pleidlais bost
check-contact = Cysylltu
declaration-title = Datganiad
declaration-text = Rwy’n datgan bod yr wybodaeth a roddais yn wir. Rwy’n deall ei bod yn drosedd rhoi gwybodaeth ffug, gyda chosb o hyd at 6 mis yn y carchar neu ddirwy ddiderfyn.
declaration-agree = Rwy’n cytuno
error-declaration = Cadarnhewch y datganiad i anfon eich cais
send-application = Anfon y cais
error-submit-unavailable = Mae’n ddrwg gennym, nid oedd modd anfon eich cais ar hyn o bryd. Mae eich atebion wedi’u cadw: rhowch gynnig arall arni ymhen ychydig funudau.

complete-title = Cais wedi’i gwblhau
complete-reference = Eich cyfeirnod
complete-sent = Rydym wedi anfon eich cais at Swyddog Cofrestru Etholiadol { $ero }.
complete-next-title = Beth sy’n digwydd nesaf
complete-next-body = Byddwn yn gwirio pwy ydych chi. Bydd y Swyddog Cofrestru Etholiadol yn cysylltu â chi os oes angen mwy o wybodaeth arno, a bydd yn rhoi gwybod i chi pan fyddwch wedi cael eich ychwanegu at y gofrestr etholiadol.
complete-contact = Cysylltwch â’ch Swyddog Cofrestru Etholiadol:

too-many-title = Mae’n ddrwg gennym, rydych wedi gwneud gormod o geisiadau
too-many-body = I ddiogelu’r gwasanaeth rydym yn cyfyngu ar ba mor aml y gall pob cysylltiad wneud hyn. Arhoswch { $seconds } eiliad a rhowch gynnig arall arni: nid oes dim a roesoch wedi’i golli.

busy-title = Mae’n ddrwg gennym, mae’r gwasanaeth yn brysur
busy-body = Mae llawer o bobl yn cofrestru i bleidleisio ar hyn o bryd. Arhoswch { $seconds } eiliad a rhowch gynnig arall arni. Mae’r atebion rydych eisoes wedi’u rhoi wedi’u cadw.
busy-retry = Rhowch gynnig arall arni

previous-name-title = Ydych chi wedi newid eich enw yn ystod y 12 mis diwethaf?
previous-name-given = Enw cyntaf blaenorol
previous-name-middle = Enwau canol blaenorol (dewisol)
previous-name-surname = Cyfenw blaenorol
error-previous-name = Dewiswch ydw os ydych wedi newid eich enw yn ystod y 12 mis diwethaf
error-previous-name-given = Rhowch eich enw cyntaf blaenorol
error-previous-name-surname = Rhowch eich cyfenw blaenorol
error-previous-name-invalid = Dim ond llythrennau, bylchau, cysylltnodau, collnodau ac atalnodau llawn y gall enwau blaenorol eu cynnwys, a rhaid iddynt fod yn 35 nod neu lai (100 ar gyfer enwau canol)
other-address-title = Ydych chi hefyd yn byw mewn cyfeiriad arall?
other-address-none = Nac ydw
other-address-second-home = Ydw, ail gartref
other-address-student = Ydw, rwy’n fyfyriwr gyda chyfeiriad yn ystod y tymor a chyfeiriad cartref
error-other-address = Dewiswch a ydych hefyd yn byw mewn cyfeiriad arall
moved-title = Ydych chi wedi symud i’r cyfeiriad hwn yn ystod y 12 mis diwethaf?
moved-no = Nac ydw
moved-from-uk = Ydw, o gyfeiriad arall yn y DU
moved-from-abroad = Ydw, o dramor
error-moved = Dewiswch a ydych wedi symud yn ystod y 12 mis diwethaf
check-previous-name = Enw blaenorol
check-other-address = Cyfeiriad arall
check-moved = Wedi symud yn ystod y 12 mis diwethaf

# Dyddiad geni heb ei roi
dob-cannot = Ni allaf roi fy nyddiad geni
dob-cannot-body = Efallai y bydd eich Swyddog Cofrestru Etholiadol yn gofyn i chi am dystiolaeth o’ch hunaniaeth a’ch oedran.
dob-reason-label = Dywedwch wrthym pam na allwch roi eich dyddiad geni
dob-range-legend = Faint yw eich oed?
dob-range-14-to-15 = 14 neu 15
dob-range-16-to-17 = 16 neu 17
dob-range-18-to-75 = 18 i 75
dob-range-over-75 = Dros 75
dob-range-dont-know = Nid wyf yn gwybod
error-dob-reason-missing = Rhowch y rheswm pam na allwch roi eich dyddiad geni, neu rhowch eich dyddiad geni
error-dob-reason-too-long = Rhaid i’r rheswm fod yn { $max } nod neu lai
error-dob-range = Dewiswch faint yw eich oed
check-dob-none = Heb ei roi: { $reason } (oed: { $range })
exit-too-young-range-body = Gallwch gofrestru i bleidleisio o { $age } oed lle rydych yn byw.

# Pleidlais bost a ble i anfon y ffurflen
postal-vote-form-by-post = Ydw, anfonwch ffurflen gais ataf drwy’r post
postal-vote-form-by-email = Ydw, e-bostiwch ffurflen gais ataf
postal-vote-email = Cyfeiriad e-bost
postal-vote-in-person = Nac ydw, byddaf yn pleidleisio’n bersonol
postal-vote-already-have = Nac ydw, mae gennyf bleidlais bost yn barod
error-postal-vote-email = Rhowch gyfeiriad e-bost yn y fformat cywir, fel enw@enghraifft.com
check-postal-vote-email = Ydw, ffurflen gais drwy e-bost i { $email }
complete-contact-unknown = I gysylltu â’ch Swyddog Cofrestru Etholiadol, dewch o hyd i’w fanylion ar GOV.UK:
complete-contact-link = Cysylltu â’ch Swyddfa Cofrestru Etholiadol

error-dob-and-reason = Rhowch eich dyddiad geni neu dywedwch wrthym pam na allwch ei roi, nid y ddau
warning = Rhybudd

# Tudalennau sydd gan bob taith
timeout-notice = Byddwn yn dileu eich atebion os na fyddwch yn gwneud unrhyw beth am 20 munud.
timeout-warning-title = Bydd eich cais yn dod i ben cyn bo hir
timeout-warning-body = Byddwn yn dileu eich atebion ymhen 2 funud os na fyddwch yn gwneud unrhyw beth. Rydym yn gwneud hyn i gadw eich gwybodaeth yn ddiogel.
timeout-warning-continue = Parhau â’ch cais
restart-title = Rydych eisoes wedi dechrau cais
restart-body = Gallwch barhau â’r cais a ddechreuoch, neu ddechrau un newydd.
restart-continue = Parhau â’ch cais
restart-warning = Os byddwch yn dechrau eto, byddwn yn dileu’r atebion rydych eisoes wedi’u rhoi.
restart-button = Dileu fy atebion a dechrau eto
complete-another = Os ydych yn byw mewn mwy nag un cyfeiriad, gallwch gofrestru ym mhob un ohonynt.
complete-another-link = Gwneud cais arall
complete-form-post = Byddwn yn anfon llythyr atoch drwy’r post yn dweud sut i { $form }.
complete-form-email = Byddwn yn anfon e-bost atoch yn { $email } gyda dolen i { $form }.
form-postal = wneud cais am bleidlais bost
form-proxy = wneud cais am bleidlais drwy ddirprwy
complete-overseas-ends = Bydd eich cofrestriad fel pleidleisiwr tramor yn para tan { $date }, oni bai eich bod yn ei adnewyddu. Bydd eich Swyddog Cofrestru Etholiadol yn eich atgoffa cyn hynny.
complete-service-ends = Bydd eich cofrestriad drwy ddatganiad gwasanaeth yn para tan { $date }, oni bai eich bod yn ei adnewyddu. Bydd eich Swyddog Cofrestru Etholiadol yn eich atgoffa cyn hynny.

# Tudalen gychwyn: y teithiau eraill
start-others-heading = Os ydych yn byw dramor, neu’n gwasanaethu dramor
start-others-intro = Defnyddiwch un o’r rhain yn lle hynny os yw’n berthnasol i chi:
start-overseas = Cofrestru fel dinesydd Prydeinig sy’n byw dramor
start-forces = Cofrestru fel aelod o’r lluoedd arfog, neu briod neu bartner sifil aelod
start-crown = Cofrestru fel gwas y Goron neu gyflogai i’r Cyngor Prydeinig, neu briod neu bartner sifil un ohonynt

# Ble rydych yn byw, wedi’i wirio yn erbyn y cyfeiriad
where-you-live-title = Mae eich cyfeiriad mewn gwlad wahanol i’r un y dywedoch wrthym eich bod yn byw ynddi
where-you-live-hint = Mae lleoliad eich cyfeiriad yn penderfynu pa reolau sy’n berthnasol i chi, a pha Swyddog Cofrestru Etholiadol y mae eich cais yn mynd ato.
where-you-live-address = Rwy’n byw yn y cyfeiriad hwn
where-you-live-change = Mae angen i mi newid fy nghyfeiriad
error-where-you-live = Dewiswch a ydych yn byw yn y cyfeiriad hwn neu a oes angen i chi ei newid

# Symud o dramor, a chyfeiriadau blaenorol
overseas-voter-title = Ydych chi wedi cofrestru fel pleidleisiwr tramor?
overseas-voter-hint = Mae hyn yn golygu eich bod wedi bod ar y gofrestr etholiadol mewn cyfeiriad yn y DU tra oeddech yn byw dramor.
error-overseas-voter = Dewiswch ydw os ydych wedi cofrestru fel pleidleisiwr tramor
check-overseas-voter = Wedi cofrestru fel pleidleisiwr tramor
previous-address-title = Beth oedd eich cyfeiriad blaenorol?
previous-address-overseas-title = Ym mha gyfeiriad yn y DU roeddech wedi cofrestru fel pleidleisiwr tramor?
previous-address-select-title = Dewiswch eich cyfeiriad blaenorol
previous-address-manual-title = Rhowch eich cyfeiriad blaenorol
check-previous-address = Cyfeiriad blaenorol
check-previous-address-overseas = Cyfeiriad yn y DU lle roeddech wedi cofrestru fel pleidleisiwr tramor
error-address-not-uk = Rhowch god post yn y DU
error-previous-address-same = Dewiswch y cyfeiriad lle roeddech yn byw o’r blaen, nid eich cyfeiriad presennol
error-field-control = Ni chaiff { $field } gynnwys nodau rheoli

error-field-too-long = Ni chaiff { $field } fod yn fwy na { $max } nod

# Sut i bleidleisio (pleidleiswyr tramor a phleidleiswyr gwasanaeth)
ways-to-vote-title = Sut ydych chi eisiau pleidleisio?
ways-to-vote-hint = Os na fyddwch yn y DU ar ddiwrnod yr etholiad, gallwch bleidleisio drwy’r post neu ddewis rhywun rydych yn ymddiried ynddo i bleidleisio ar eich rhan (dirprwy).
ways-to-vote-in-person = Yn bersonol mewn gorsaf bleidleisio
ways-to-vote-by-post = Drwy’r post
ways-to-vote-by-proxy = Drwy ddirprwy (rhywun yn pleidleisio ar fy rhan)
error-ways-to-vote = Dewiswch sut rydych eisiau pleidleisio
check-ways-to-vote = Sut rydych eisiau pleidleisio
vote-form-postal-title = Sut dylem anfon ffurflen gais am bleidlais bost atoch?
vote-form-proxy-title = Sut dylem anfon ffurflen gais am bleidlais drwy ddirprwy atoch?
vote-form-hint = Bydd eich Swyddog Cofrestru Etholiadol yn anfon y ffurflen atoch i’w llenwi a’i dychwelyd.
vote-form-email = Drwy e-bost
vote-form-post = Drwy’r post
form-email = Cyfeiriad e-bost
error-vote-form = Dewiswch sut dylem anfon y ffurflen atoch
check-vote-form = Ffurflen gais
check-form-email = Drwy e-bost i { $email }
check-form-post = Drwy’r post

# Pleidleiswyr tramor
last-registered-title = Sut cawsoch eich cofrestru i bleidleisio yn y DU ddiwethaf?
last-registered-hint = Os ydych wedi cael eich cofrestru mewn mwy nag un cyfeiriad, dywedwch wrthym am yr un mwyaf diweddar.
last-registered-ordinary = Fel preswylydd yn y DU
last-registered-overseas = Fel pleidleisiwr tramor
last-registered-forces = Fel aelod o’r lluoedd arfog, neu briod neu bartner sifil aelod
last-registered-crown = Fel gwas y Goron, neu briod neu bartner sifil gwas y Goron
last-registered-british-council = Fel cyflogai i’r Cyngor Prydeinig, neu briod neu bartner sifil cyflogai
last-registered-not-registered = Nid wyf erioed wedi cofrestru i bleidleisio yn y DU
error-last-registered = Dewiswch sut cawsoch eich cofrestru i bleidleisio ddiwethaf
check-last-registered = Cofrestriad diwethaf
date-left-uk-title = Pryd wnaethoch chi adael y DU?
date-left-forces-title = Pryd wnaethoch chi roi’r gorau i fod yn aelod o’r lluoedd arfog, neu’n briod neu’n bartner sifil i aelod?
date-left-crown-title = Pryd wnaethoch chi roi’r gorau i fod yn was y Goron, neu’n briod neu’n bartner sifil i was y Goron?
date-left-british-council-title = Pryd wnaethoch chi roi’r gorau i fod yn gyflogai i’r Cyngor Prydeinig, neu’n briod neu’n bartner sifil i gyflogai?
date-left-legend = Dyddiad gadael
date-left-hint = Er enghraifft, 3 2019. Os nad ydych yn gwybod yn union, rhowch eich amcangyfrif gorau.
error-date-left-before-birth = Rhaid i’r dyddiad gadael fod ar ôl eich dyddiad geni
check-date-left-uk = Wedi gadael y DU
check-date-left-service = Wedi gadael y gwasanaeth
parent-name-title = Eich rhiant neu warcheidwad
parent-name-intro = Gwnaethoch adael y DU cyn eich bod yn 18 oed, ac nid ydych erioed wedi cofrestru i bleidleisio. Dywedwch wrthym am y rhiant neu’r gwarcheidwad roeddech yn byw gyda nhw, fel y gall eich Swyddog Cofrestru Etholiadol wirio’r cyfeiriad.
parent-given = Eu henw cyntaf
parent-middle = Eu henwau canol (dewisol)
parent-surname = Eu cyfenw
parent-previous-given = Eu henw cyntaf blaenorol (dewisol)
parent-previous-surname = Eu cyfenw blaenorol (dewisol)
check-parent-name = Rhiant neu warcheidwad
registered-address-title = Ym mha gyfeiriad yn y DU y cawsoch eich cofrestru ddiwethaf?
last-uk-address-title = Beth oedd eich cyfeiriad olaf yn y DU?
parent-address-title = Beth oedd y cyfeiriad yn y DU lle roeddech yn byw gyda’ch rhiant neu warcheidwad?
check-registered-address = Cyfeiriad cofrestru diwethaf
check-last-uk-address = Cyfeiriad olaf yn y DU
check-parent-address = Cyfeiriad lle roeddech yn byw gyda’r rhiant neu’r gwarcheidwad
passport-title = Oes gennych chi basbort Prydeinig?
passport-yes = Oes
passport-no-born-in-uk = Nac oes, a chefais fy ngeni yn y DU
passport-no-born-elsewhere = Nac oes, a chefais fy ngeni y tu allan i’r DU
error-passport = Dewiswch a oes gennych basbort Prydeinig
check-passport = Pasbort Prydeinig
passport-details-title = Eich pasbort Prydeinig
passport-number = Rhif pasbort
passport-number-hint = 9 rhif, ar y dudalen â’r llun
passport-authority = Awdurdod cyhoeddi
passport-authority-hint = Er enghraifft, HMPO neu Swyddfa Pasbort EF
passport-issued = Dyddiad cyhoeddi
passport-issued-hint = Er enghraifft, 27 3 2019
error-passport-number-missing = Rhowch rif eich pasbort
error-passport-number = Rhaid i rif y pasbort fod yn 9 rhif
error-passport-authority = Rhowch yr awdurdod cyhoeddi
check-passport-details = Pasbort
check-passport-details-value = { $number }, wedi’i gyhoeddi gan { $authority } ar { $date }
citizenship-title = Sut y daethoch yn ddinesydd Prydeinig
citizen-since = Dyddiad dod yn ddinesydd Prydeinig
citizen-since-hint = Er enghraifft, 27 3 2007
citizen-how = Sut y daethoch yn ddinesydd Prydeinig
citizen-how-hint = Er enghraifft, drwy gofrestru, drwy frodori, neu drwy eich rhieni
citizen-birthplace = Ble cawsoch eich geni
citizen-birthplace-hint = Tref a gwlad
error-citizen-how = Rhowch sut y daethoch yn ddinesydd Prydeinig
error-citizen-birthplace = Rhowch ble cawsoch eich geni
check-citizenship = Dinasyddiaeth Brydeinig
check-citizenship-value = Ers { $date }, { $how }; man geni: { $birthplace }
previous-name-overseas-title = Ydych chi wedi newid eich enw ers i chi adael y DU?
name-change-reason = Pam y newidiodd eich enw?
error-name-change-reason = Rhowch y rheswm pam y newidiodd eich enw
abroad-address-title = Beth yw eich cyfeiriad dramor?
abroad-country = Gwlad
abroad-line-1 = Llinell gyntaf y cyfeiriad
abroad-line-2 = Ail linell y cyfeiriad (dewisol)
abroad-line-3 = Trydedd linell y cyfeiriad (dewisol)
abroad-line-4 = Pedwaredd linell y cyfeiriad (dewisol)
abroad-line-5 = Pumed llinell y cyfeiriad (dewisol)
error-abroad-country = Dewiswch y wlad
error-abroad-line-1 = Rhowch linell gyntaf y cyfeiriad
error-country-not-listed = Dewiswch wlad o’r rhestr
check-address-abroad = Cyfeiriad dramor
declaration-overseas = Rwy’n datgan fy mod yn ddinesydd Prydeinig, nad wyf yn byw yn y DU, nad wyf wedi cofrestru i bleidleisio mewn unrhyw gyfeiriad arall ers y cofrestriad neu’r cyfnod preswylio y soniais wrthych amdano, a bod yr wybodaeth a roddais yn wir. Rwy’n deall ei bod yn drosedd rhoi gwybodaeth ffug.

# Dyddiadau heblaw dyddiad geni
error-date-missing = Rhaid i’r { $field } gynnwys pob rhan o’r dyddiad
error-date-not-a-number = Rhaid i’r { $field } fod yn ddyddiad go iawn, mewn rhifau
error-date-not-real = Rhaid i’r { $field } fod yn ddyddiad go iawn
error-date-in-the-future = Rhaid i’r { $field } fod yn y gorffennol
error-date-too-long-ago = Rhaid i’r { $field } fod ar ôl { $year }

# Pleidleiswyr gwasanaeth: y lluoedd arfog, gweision y Goron a chyflogeion y Cyngor Prydeinig
statement-hint = Dewiswch bob un sy’n berthnasol
forces-statement-title = Pa un o’r rhain sy’n berthnasol i chi?
forces-statement-member = Rwy’n aelod o’r lluoedd arfog
forces-statement-partner = Rwy’n briod ag aelod o’r lluoedd arfog, neu mewn partneriaeth sifil ag un
crown-statement-title = Pa un o’r rhain sy’n berthnasol i chi?
crown-statement-servant = Rwy’n was y Goron sy’n gweithio y tu allan i’r DU
crown-statement-partner = Rwy’n briod â gwas y Goron sy’n gweithio y tu allan i’r DU, neu mewn partneriaeth sifil ag un
crown-statement-council-employee = Rwy’n gyflogai i’r Cyngor Prydeinig sy’n gweithio y tu allan i’r DU
crown-statement-council-partner = Rwy’n briod â chyflogai i’r Cyngor Prydeinig sy’n gweithio y tu allan i’r DU, neu mewn partneriaeth sifil ag un
error-statement-nothing = Dewiswch y datganiadau sy’n berthnasol i chi
error-statement-servant-and-employee = Ni allwch fod yn was y Goron ac yn gyflogai i’r Cyngor Prydeinig: dewiswch yr un sy’n berthnasol i chi
error-statement-both-partners = Dewiswch un yn unig o’r datganiadau am briod neu bartner sifil
check-statement = Yn gwneud cais fel
uk-address-title = Oes gennych chi gyfeiriad yn y DU?

uk-address-hint = Byddwch yn cael eich cofrestru yn y cyfeiriad hwn.
uk-address-living-there = Oes, ac rwy’n byw yno
uk-address-not-living-there = Oes, ond nid wyf yn byw yno nawr
uk-address-no-address = Nac oes: byddaf yn rhoi fy nghyfeiriad olaf yn y DU
error-uk-address = Dewiswch a oes gennych gyfeiriad yn y DU
check-uk-address = Cyfeiriad yn y DU
moved-service-title = Ydych chi wedi symud i’r cyfeiriad hwn yn ystod y 12 mis diwethaf?
service-title = Ym mha wasanaeth ydych chi?
service-partner-title = Ym mha wasanaeth y mae eich priod neu bartner sifil?
service-royal-navy = Y Llynges Frenhinol
service-british-army = Y Fyddin Brydeinig
service-royal-air-force = Yr Awyrlu Brenhinol
service-regiment = Catrawd neu gorfflu
service-regiment-hint = Er enghraifft, y Cymry Brenhinol neu’r Corfflu Logisteg Brenhinol
error-service = Dewiswch y gwasanaeth
error-regiment = Rhowch y gatrawd neu’r corfflu
check-service = Gwasanaeth
rank-title = Eich rhif gwasanaeth a’ch rheng
rank-partner-title = Rhif gwasanaeth a rheng eich priod neu bartner sifil
service-number = Rhif gwasanaeth
rank = Rheng neu radd
rank-hint = Er enghraifft, Corporal neu Able Rating
error-service-number = Rhowch y rhif gwasanaeth
error-rank = Rhowch y rheng neu’r radd
check-service-number = Rhif gwasanaeth
check-rank = Rheng neu radd
contact-address-title = Ble dylem ysgrifennu atoch?
contact-address-hint = Bydd llythyrau am eich cofrestriad yn cael eu hanfon i’r cyfeiriad hwn.
contact-address-uk = I’m cyfeiriad yn y DU
contact-address-bfpo = I gyfeiriad Swyddfa Bost y Lluoedd Prydeinig (BFPO)
contact-address-abroad = I gyfeiriad mewn gwlad arall
bfpo-number = Rhif BFPO
bfpo-number-hint = Er enghraifft, BFPO 38
bfpo-line-1 = Llinell gyntaf y cyfeiriad (er enghraifft, enw ac uned)
bfpo-line-2 = Ail linell y cyfeiriad (dewisol)
bfpo-line-3 = Trydedd linell y cyfeiriad (dewisol)
error-contact-address = Dewiswch ble dylem ysgrifennu atoch
error-bfpo-number-missing = Rhowch y rhif BFPO
error-bfpo-number = Rhaid i’r rhif BFPO fod yn 1 i 4 rhif, fel BFPO 38
error-bfpo-line-1 = Rhowch linell gyntaf y cyfeiriad BFPO
check-contact-address = Cyfeiriad ar gyfer llythyrau
job-title-title = Eich swydd
job-partner-title = Swydd eich priod neu bartner sifil
job-title = Teitl swydd
payroll-number = Rhif staff neu rif cyflogres
payroll-number-hint = Gallwch ddod o hyd i hwn ar slip cyflog
department = Adran y llywodraeth
department-hint = Os ydych yn gweithio i’r Cyngor Prydeinig, rhowch Cyngor Prydeinig
error-job-title = Rhowch deitl y swydd
error-payroll-number = Rhowch y rhif staff neu’r rhif cyflogres
error-department = Rhowch adran y llywodraeth
check-job-title = Teitl swydd
check-payroll-number = Rhif staff neu rif cyflogres
check-department = Adran
declaration-forces = Rwy’n datgan fy mod yn aelod o’r lluoedd arfog, neu’n briod ag aelod neu mewn partneriaeth sifil ag aelod; mai’r cyfeiriad a roddais yw’r cyfeiriad yn y DU lle rwy’n byw, neu lle byddwn yn byw pe na bawn yn gwasanaethu, neu fy nghyfeiriad olaf yn y DU; a bod yr wybodaeth a roddais yn wir. Rwy’n deall ei bod yn drosedd rhoi gwybodaeth ffug.
declaration-crown = Rwy’n datgan fy mod yn was y Goron neu’n gyflogai i’r Cyngor Prydeinig sy’n gweithio y tu allan i’r DU, neu’n briod â pherson o’r fath neu mewn partneriaeth sifil ag un; mai’r cyfeiriad a roddais yw’r cyfeiriad yn y DU lle byddwn yn byw pe na bawn i, neu fy mhriod neu fy mhartner sifil, yn gweithio dramor, neu fy nghyfeiriad olaf yn y DU; a bod yr wybodaeth a roddais yn wir. Rwy’n deall ei bod yn drosedd rhoi gwybodaeth ffug.
name-change-reason-noun = Eich rheswm
date-left-noun = Dyddiad gadael
error-parent-given = Rhowch eu henw cyntaf
error-parent-surname = Rhowch eu cyfenw
error-parent-name-invalid = Dim ond llythrennau, bylchau, cysylltnodau, collnodau ac atalnodau llawn y caiff eu henwau eu cynnwys, a rhaid iddynt fod yn 35 nod neu lai (100 ar gyfer enwau canol)

## Gwirio eich cais (/register-to-vote/status)
status-title = Gwirio eich cais
status-intro = Dewch o hyd i ble mae eich cais i gofrestru i bleidleisio. Mae angen y cyfeirnod a gawsoch pan wnaethoch gais, a’ch dyddiad geni.
status-reference = Cyfeirnod
status-reference-hint = 10 llythyren a rhif, er enghraifft BCD23 FGH45. Mae ar y dudalen a welsoch pan wnaethoch gais, ac yn yr e-bost, y neges destun neu’r llythyr a anfonwyd atoch.
status-dob = Dyddiad geni
status-submit = Gwirio eich cais
status-lost = Os ydych wedi colli eich cyfeirnod, cysylltwch â’ch Swyddog Cofrestru Etholiadol.
error-status-reference-missing = Rhowch eich cyfeirnod
error-status-reference-format = Rhowch eich cyfeirnod fel y cafodd ei roi i chi, 10 llythyren a rhif, fel BCD23 FGH45
error-status-not-found = Nid oeddem yn gallu dod o hyd i gais gyda’r cyfeirnod a’r dyddiad geni hynny. Gwiriwch nhw a rhowch gynnig arall arni.
status-result-title = Eich cais i gofrestru i bleidleisio
status-received = Cais wedi dod i law
status-received-on = Cawsom eich cais ar { $date }.
status-identity = Gwirio pwy ydych chi
status-identity-waiting = Rydym yn gwirio pwy ydych chi.
status-identity-confirmed = Rydym wedi cadarnhau pwy ydych chi.
status-identity-not-confirmed = Nid oeddem yn gallu cadarnhau pwy ydych chi o’r manylion a roesoch. Efallai y bydd eich Swyddog Cofrestru Etholiadol yn gofyn i chi am dystiolaeth o bwy ydych chi. Nid oes angen i chi wneud cais eto.
status-council = Gyda’ch cyngor
status-council-waiting = Mae eich cais ar ei ffordd at Swyddog Cofrestru Etholiadol { $ero }.
status-council-since = Mae eich cais wedi bod gyda Swyddog Cofrestru Etholiadol { $ero } ers { $date }.
status-decision = Penderfyniad
status-decision-waiting = Nid yw’r Swyddog Cofrestru Etholiadol wedi penderfynu eto. Bydd yn cysylltu â chi os oes angen mwy o wybodaeth arno.
status-registered = Cawsoch eich ychwanegu at y gofrestr etholiadol ar { $date }.
status-not-registered = Ar { $date } penderfynodd y Swyddog Cofrestru Etholiadol beidio â’ch ychwanegu at y gofrestr etholiadol.
status-evidence-requested = Mae angen tystiolaeth o bwy ydych chi ar y Swyddog Cofrestru Etholiadol cyn y gall benderfynu. Bydd yn rhoi gwybod i chi beth i’w anfon.
status-tag-done = Wedi’i wneud
status-tag-waiting = Ddim eto
status-tag-action = Angen gweithredu
status-tag-refused = Heb gofrestru
status-reasons = Pam
status-contact = Cysylltu â Swyddog Cofrestru Etholiadol { $ero }
status-another = Gwirio cais arall
complete-status = Gallwch wirio eich cais ar unrhyw adeg gyda’ch cyfeirnod a’ch dyddiad geni.
complete-status-link = Gwirio eich cais
unavailable-title = Mae’n ddrwg gennym, mae problem gyda’r gwasanaeth
unavailable-body = Rhowch gynnig arall arni ymhen ychydig funudau.

## The demo's inbox (/demo/notifications)
inbox-caption = Demo
inbox-title = Negeseuon a anfonwyd
inbox-intro = Beth y gofynnwyd i efelychydd GOV.UK Notify ei anfon, y diweddaraf yn gyntaf: e-bost, neges destun neu lythyr pob ymgeisydd fel y byddai’n ei gael. Dim ond y demo sydd â’r dudalen hon.
inbox-empty = Dim negeseuon eto. Anfonwch gais, a bydd ei gydnabyddiaeth yn ymddangos yma o fewn ychydig eiliadau.
inbox-sms = Neges destun
inbox-channel = Anfonwyd drwy
inbox-channel-email = E-bost
inbox-channel-sms = Neges destun
inbox-channel-letter = Llythyr
inbox-to = At
inbox-sent = Anfonwyd
inbox-reference = Cyfeirnod

# Told before sending: the person index found this applicant (an earlier application, or the register).
repeat-applied = Gwnaethoch gais i gofrestru ar { $date }. Nid oes angen i chi wneud cais eto.
repeat-registered = Efallai eich bod eisoes wedi cofrestru i bleidleisio yn y cyfeiriad hwn. Nid oes angen i chi wneud cais eto.
repeat-send-anyway = Os yw eich enw neu fanylion eraill wedi newid, neu os nad ydych yn siŵr, gallwch anfon y cais hwn o hyd.

# "Ydw i wedi cofrestru?"
registered-title = Gwirio a ydych wedi cofrestru i bleidleisio
registered-intro = Rhowch eich manylion fel y byddent ar y gofrestr etholiadol. Byddwn yn dweud wrthych a yw’n ymddangos eich bod wedi cofrestru yn y cyfeiriad hwn.
registered-given = Enw cyntaf
registered-surname = Cyfenw
registered-house = Enw neu rif y tŷ
registered-house-hint = Os ydych yn byw mewn fflat, rhowch ei rhif, er enghraifft Fflat 2, 14
registered-postcode = Cod post
registered-submit = Gwirio a ydych wedi cofrestru
registered-privacy = Dim ond dweud wrthych a yw’n ymddangos eich bod wedi cofrestru a wnawn. Nid ydym byth yn dangos enw na chyfeiriad neb, ac nid ydym yn cadw’r hyn a roddwch yma.
registered-yes-title = Mae’n ymddangos eich bod wedi cofrestru i bleidleisio yn y cyfeiriad hwn
registered-yes-body = Nid oes angen i chi gofrestru eto oni bai bod eich enw, eich cyfeiriad neu eich cenedligrwydd yn newid.
registered-no-title = Ni allwn ddod o hyd i chi ar y gofrestr yn y cyfeiriad hwn
registered-no-body = Efallai nad ydych wedi cofrestru, neu fod eich manylion wedi’u hysgrifennu’n wahanol ar y gofrestr. Mae cofrestru’n cymryd tua 5 munud.
registered-register-now = Cofrestrwch i bleidleisio nawr
registered-recent = Efallai na fydd newidiadau diweddar iawn yn ymddangos yma eto: gall gymryd rhai wythnosau i gofrestriad newydd neu symud tŷ gyrraedd y gwiriad hwn. Os gwnaethoch gais yn ddiweddar, gallwch
registered-council = Mae eich cyfeiriad yn { $council }.
registered-again = Gwirio manylion rhywun arall
error-registered-house-empty = Rhowch enw neu rif eich tŷ
error-registered-postcode-unknown = Ni allem ddod o hyd i’r cod post hwnnw. Gwiriwch ef a rhoi cynnig arall arni
error-registered-postcode-gb = Rhowch god post yng Nghymru, Lloegr neu’r Alban
start-registered = Gwirio a ydych eisoes wedi cofrestru
start-status = Gwirio eich cais
registered-status-link = wirio eich cais

# The demo (/demo)
demo-title = Rhoi cynnig ar y gwasanaeth heb wneud cais
demo-lead = Ewch drwy’r broses o gofrestru i bleidleisio gyda’r un cwestiynau a gwiriadau â’r gwasanaeth go iawn. Nid yw dim a roddwch yn cael ei anfon at neb na’i gadw.
demo-how = Atebwch y cwestiynau eich hun, neu llenwch fanylion person dychmygol i fynd yn syth i’r diwedd. Byddwch yn cael rhif cyfeirnod demo ar y diwedd: nid yw’n gais go iawn.
demo-journey-ordinary = Byw yn y DU
demo-journey-overseas = Dinasyddion Prydeinig sy’n byw dramor
demo-journey-forces = Aelodau’r lluoedd arfog a’u teuluoedd
demo-journey-crown = Gweision y Goron a gweithwyr y Cyngor Prydeinig dramor
demo-start = Dechrau’r demo
demo-fill = Llenwi manylion person dychmygol
demo-real = Cofrestru i bleidleisio go iawn
demo-banner-title = Demo
demo-banner = Demo yw hwn. Nid yw dim a roddwch yn cael ei anfon at neb, ac nid ydych wedi cofrestru i bleidleisio.
demo-banner-link = Gadael neu ailddechrau’r demo
start-demo = Rhoi cynnig ar y gwasanaeth heb wneud cais
demo-replaces = Rydych wedi dechrau cais. Bydd dechrau’r demo yn ei ddod i ben, a bydd yr hyn a roesoch yn cael ei golli.
demo-continue = Parhau â’ch cais yn lle hynny
too-large-title = Mae’r hyn a anfonoch yn rhy fawr
too-large-body = Nid oes ateb mor hir â hyn. Ewch yn ôl, gwiriwch yr hyn a roesoch a’i anfon eto.
unreadable-title = Mae’n ddrwg gennym, ni allem ddarllen yr hyn a anfonwyd
unreadable-body = Ewch yn ôl i’r ffurflen, gwiriwch yr hyn a roesoch a’i anfon eto.
