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
csrf-body = Nid oedd modd cadw eich ateb oherwydd bod y ffurflen wedi dyddio. Ewch yn ôl a rhoi cynnig arall arni: nid oes dim a roesoch o’r blaen wedi’i golli.
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
exit-abroad-title = Cofrestru i bleidleisio fel pleidleisiwr tramor
exit-abroad-body = Os ydych yn ddinesydd Prydeinig sy’n byw dramor, gallwch gofrestru fel pleidleisiwr tramor. Nid yw cofrestru o dramor yn rhan o’r gwasanaeth hwn eto: cysylltwch â’r Swyddog Cofrestru Etholiadol ar gyfer y cyngor lle cawsoch eich cofrestru ddiwethaf yn y DU.

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
error-nino-format = Rhowch rif Yswiriant Gwladol yn y fformat cywir, fel QQ 12 34 56 C
error-nino-prefix = Rhowch rif Yswiriant Gwladol sy’n dechrau gyda 2 lythyren ddilys, fel QQ 12 34 56 C
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
moved-from-abroad = Ydw, o dramor, ac nid oeddwn wedi cofrestru fel pleidleisiwr tramor
moved-line-1 = Llinell gyntaf y cyfeiriad blaenorol
moved-town = Tref neu ddinas flaenorol
moved-postcode = Cod post blaenorol
error-moved = Dewiswch a ydych wedi symud yn ystod y 12 mis diwethaf
error-moved-line-1 = Rhowch linell gyntaf eich cyfeiriad blaenorol
error-moved-town = Rhowch dref neu ddinas eich cyfeiriad blaenorol
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

# Symud o dramor, wedi cofrestru fel pleidleisiwr tramor
moved-from-abroad-overseas-voter = Ydw, o dramor, ac roeddwn wedi cofrestru fel pleidleisiwr tramor
overseas-line-1 = Llinell 1 y cyfeiriad yn y DU lle’r oeddech wedi cofrestru
overseas-town = Tref neu ddinas y cyfeiriad hwnnw
overseas-postcode = Cod post y cyfeiriad hwnnw
error-overseas-line-1 = Rhowch linell gyntaf y cyfeiriad yn y DU lle’r oeddech wedi cofrestru fel pleidleisiwr tramor
error-overseas-town = Rhowch dref neu ddinas y cyfeiriad yn y DU lle’r oeddech wedi cofrestru fel pleidleisiwr tramor

# Pleidlais bost a ble i anfon y ffurflen
postal-vote-form-by-post = Ydw, anfonwch ffurflen gais ataf drwy’r post
postal-vote-form-by-email = Ydw, e-bostiwch ffurflen gais ataf
postal-vote-email = Cyfeiriad e-bost
postal-vote-in-person = Nac ydw, byddaf yn pleidleisio’n bersonol
postal-vote-already-have = Nac ydw, mae gennyf bleidlais bost yn barod
error-postal-vote-email = Rhowch gyfeiriad e-bost yn y fformat cywir, fel enw@enghraifft.com
check-postal-vote-email = Ydw, ffurflen gais drwy e-bost i { $email }
complete-postal-vote-post = Bydd eich Swyddog Cofrestru Etholiadol yn anfon ffurflen gais am bleidlais bost atoch drwy’r post.
complete-postal-vote-email = Bydd eich Swyddog Cofrestru Etholiadol yn e-bostio ffurflen gais am bleidlais bost atoch yn { $email }.
complete-contact-unknown = I gysylltu â’ch Swyddog Cofrestru Etholiadol, dewch o hyd i’w fanylion ar GOV.UK:
complete-contact-link = Cysylltu â’ch Swyddfa Cofrestru Etholiadol
