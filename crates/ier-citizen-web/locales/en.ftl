# English messages for the public site.

service-name = Register to vote
govuk = GOV.UK
skip-to-main = Skip to main content
language-nav-label = Language
footer-licence = All content is available under the Open Government Licence v3.0, except where otherwise stated
footer-copyright = © Crown copyright
error-prefix = Error
error-summary-title = There is a problem

start-title = Register to vote
start-lead = Register to vote in elections in England, Scotland and Wales. It usually takes about 5 minutes.
start-nino = You’ll be asked for your National Insurance number (but you can still register if you do not have one).
find-council-heading = Find your council
find-council-intro = Your application goes to the Electoral Registration Officer for the council where you live.
postcode-label = Postcode
find-council-button = Find your council

error-postcode-empty = Enter a postcode
error-postcode-format = Enter a real postcode, like SW1A 1AA
error-postcode-unknown = We could not find that postcode. Check it, or enter your address by hand when you apply

council-title = Your council
council-registers = People living at { $postcode } register with { $council }.
council-ero = Applications are sent to the Electoral Registration Officer at { $ero }.
back-to-start = Back to the start

ni-title = Register in Northern Ireland
ni-body = { $postcode } is in Northern Ireland. Registration there is run by the Electoral Office for Northern Ireland (EONI), not this service.
ni-link = Register with the Electoral Office for Northern Ireland
crown-title = You cannot register here with this address
crown-body = { $postcode } is in the Channel Islands or the Isle of Man, which have their own electoral registers.
bfpo-title = BFPO addresses
bfpo-body = A BFPO number is a forces postal address. To register, use the address in the UK where you live or last lived.

not-found-title = Page not found
not-found-body = If you typed the web address, check it is correct.

addresses-found = { $count ->
    [one] 1 address found
   *[other] { $count } addresses found
}
