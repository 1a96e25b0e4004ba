# English messages for the public site.

service-name = Register to vote
govuk = GOV.UK
skip-to-main = Skip to main content
language-nav-label = Language
footer-licence = All content is available under the Open Government Licence v3.0, except where otherwise stated
footer-copyright = © Crown copyright
error-prefix = Error
error-summary-title = There is a problem

start-now = Start now
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

# The ordinary journey.
continue = Continue
back = Back
csrf-title = Sorry, there is a problem
csrf-body = Your answer could not be saved because the form was out of date. Go back and try again: nothing you entered before has been lost.
timeout-title = Your application has timed out
timeout-body = We have deleted your answers because you did not do anything for 20 minutes. We do this to keep your information secure.
timeout-restart = Start again

country-title = Where do you live?
country-england = England
country-scotland = Scotland
country-wales = Wales
country-northern-ireland = Northern Ireland
country-abroad = I live abroad
error-country = Select where you live

exit-ni-title = You need to register with the Electoral Office for Northern Ireland
exit-ni-body = If you live in Northern Ireland, you register to vote with the Electoral Office for Northern Ireland (EONI).
exit-abroad-title = Register to vote as an overseas voter
exit-abroad-body = If you are a British citizen living abroad, you can register as an overseas voter. Registration from abroad is not part of this service yet: contact the Electoral Registration Officer for the council where you were last registered in the UK.

nationality-title = What is your nationality?
nationality-hint = Select all that apply
nationality-british = British
nationality-irish = Irish
nationality-other = Citizen of a different country
nationality-other-label = Country
nationality-other-hint = You can add up to 3 countries
nationality-none-label = If you cannot provide your nationality, tell us why
error-nationality-nothing = Select your nationality or nationalities, or explain why you cannot provide it
error-nationality-too-many = You can add up to 3 other countries
error-nationality-british-or-irish = Select British or Irish instead of entering the United Kingdom or Ireland
error-nationality-duplicate = You have entered the same country twice
error-nationality-unknown-country = Enter a country from the list, like France
error-nationality-reason-too-long = Your explanation must be 500 characters or fewer

exit-no-franchise-title = You cannot register to vote with this nationality
exit-no-franchise-body = Based on your nationality, you are not eligible to register to vote where you live.

dob-title = What is your date of birth?
dob-hint = For example, 27 3 2007
dob-day = Day
dob-month = Month
dob-year = Year
error-dob-missing = Enter your date of birth, including a day, month and year
error-dob-not-a-number = Date of birth must be a real date, with the day, month and year as numbers
error-dob-not-a-real-date = Date of birth must be a real date
error-dob-in-the-future = Date of birth must be in the past
error-dob-too-long-ago = Date of birth must be after { $year }

exit-too-young-title = You are too young to register to vote
exit-too-young-body = You can register to vote from the age of { $age } where you live. You can register on or after { $date }.

name-title = What is your name?
name-given = First name
name-middle = Middle names (optional)
name-surname = Last name
error-name-given-empty = Enter your first name
error-name-surname-empty = Enter your last name
error-name-too-long = { $field } must be { $max } characters or fewer
error-name-invalid = { $field } can only include letters, spaces, hyphens, apostrophes and full stops
error-name-must-start-with-letter = { $field } must start with a letter

nino-title = What is your National Insurance number?
nino-hint = It’s on your National Insurance card, benefit letter, payslip or P60. For example, ‘QQ 12 34 56 C’.
nino-label = National Insurance number
nino-reason-label = If you do not have a National Insurance number, or cannot find it, tell us why
error-nino-missing = Enter your National Insurance number, or tell us why you cannot
error-nino-format = Enter a National Insurance number in the correct format, like QQ 12 34 56 C
error-nino-prefix = Enter a National Insurance number that starts with 2 valid letters, like QQ 12 34 56 C
error-nino-suffix = The last letter of a National Insurance number must be A, B, C or D
error-nino-reason-too-long = Your explanation must be 500 characters or fewer

address-title = What is your address?
address-postcode-hint = For example, SW1A 1AA
address-find = Find address
address-manual-link = Enter your address manually
address-select-title = Select your address
address-select-label = Addresses at { $postcode }
address-not-listed = My address is not listed
address-change-postcode = Change postcode
address-none-found = We could not find any addresses at { $postcode }.
error-address-select = Select your address
address-manual-title = Enter your address
address-line-1 = Address line 1
address-line-2 = Address line 2 (optional)
address-town = Town or city
error-address-line-1 = Enter address line 1, typically the building and street
error-address-town = Enter town or city
error-address-too-long = { $field } must be 100 characters or fewer
error-address-postcode-unknown = We could not find which council covers this postcode. Check it is correct
error-address-northern-ireland = This is a Northern Ireland postcode: register with the Electoral Office for Northern Ireland
error-address-not-gb = Enter a postcode in England, Scotland or Wales

yes = Yes
no = No
open-register-title = Do you want to be in the open register?
open-register-hint = The open register is an extract of the electoral register that anyone can buy. Your choice does not affect your right to vote.
error-open-register = Select yes if you want to be in the open register
postal-vote-title = Do you want to apply for a postal vote?
postal-vote-hint = If you want one, your Electoral Registration Officer will send you a postal vote application form to fill in and return.
error-postal-vote = Select whether you want to apply for a postal vote
contact-title = How should we contact you if we have questions about your application?
contact-hint = Select all that apply
contact-email = Email
contact-email-label = Email address
contact-phone = Phone
contact-phone-label = Phone number
contact-post = Post
error-contact-none = Select how we can contact you
error-contact-email = Enter an email address in the correct format, like name@example.com
error-contact-phone = Enter a phone number, like 01632 960 001 or +44 808 157 0192

check-title = Check your answers before sending your application
check-change = Change
check-where = Where you live
check-nationality = Nationality
check-nationality-none = Not given: { $reason }
check-dob = Date of birth
check-name = Name
check-nino = National Insurance number
check-nino-none = Not given: { $reason }
check-address = Address
check-open-register = Open register
check-postal-vote = Postal vote
check-contact = Contact
declaration-title = Declaration
declaration-text = I declare that the information I have given is true. I understand it is an offence to give false information, with a penalty of up to 6 months in prison or an unlimited fine.
declaration-agree = I agree
error-declaration = Confirm the declaration to send your application
send-application = Send application
error-submit-unavailable = Sorry, we could not send your application just now. Your answers are saved: try again in a few minutes.

complete-title = Application complete
complete-reference = Your reference number
complete-sent = We have sent your application to the Electoral Registration Officer at { $ero }.
complete-next-title = What happens next
complete-next-body = We will check your identity. The Electoral Registration Officer will contact you if they need more information, and will tell you when you have been added to the electoral register.
complete-contact = Contact your Electoral Registration Officer:

too-many-title = Sorry, you have made too many requests
too-many-body = To protect the service we limit how often each connection can do this. Wait { $seconds } seconds and try again: nothing you entered has been lost.

busy-title = Sorry, the service is busy
busy-body = A lot of people are registering to vote right now. Wait { $seconds } seconds and try again. The answers you have already given are saved.
busy-retry = Try again

previous-name-title = Have you changed your name in the last 12 months?
previous-name-given = Previous first name
previous-name-middle = Previous middle names (optional)
previous-name-surname = Previous last name
error-previous-name = Select yes if you have changed your name in the last 12 months
error-previous-name-given = Enter your previous first name
error-previous-name-surname = Enter your previous last name
error-previous-name-invalid = Previous names can only include letters, spaces, hyphens, apostrophes and full stops, and must be 35 characters or fewer (100 for middle names)
other-address-title = Do you also live at another address?
other-address-none = No
other-address-second-home = Yes, a second home
other-address-student = Yes, I’m a student with a term-time and a home address
error-other-address = Select whether you also live at another address
moved-title = Have you moved to this address in the last 12 months?
moved-no = No
moved-from-uk = Yes, from another address in the UK
moved-from-abroad = Yes, from abroad, and I was not registered as an overseas voter
moved-line-1 = Previous address line 1
moved-town = Previous town or city
moved-postcode = Previous postcode
error-moved = Select whether you have moved in the last 12 months
error-moved-line-1 = Enter the first line of your previous address
error-moved-town = Enter the town or city of your previous address
check-previous-name = Previous name
check-other-address = Other address
check-moved = Moved in the last 12 months

# Date of birth not given
dob-cannot = I cannot give my date of birth
dob-cannot-body = Your Electoral Registration Officer may ask you for evidence of your identity and age.
dob-reason-label = Tell us why you cannot give your date of birth
dob-range-legend = How old are you?
dob-range-14-to-15 = 14 or 15
dob-range-16-to-17 = 16 or 17
dob-range-18-to-75 = 18 to 75
dob-range-over-75 = Over 75
dob-range-dont-know = I do not know
error-dob-reason-missing = Enter why you cannot give your date of birth, or enter your date of birth
error-dob-reason-too-long = The reason must be { $max } characters or fewer
error-dob-range = Select how old you are
check-dob-none = Not given: { $reason } (age: { $range })
exit-too-young-range-body = You can register to vote from the age of { $age } where you live.

# Moved from abroad, registered as an overseas voter
moved-from-abroad-overseas-voter = Yes, from abroad, and I was registered as an overseas voter
overseas-line-1 = Line 1 of the UK address you were registered at
overseas-town = Town or city of that address
overseas-postcode = Postcode of that address
error-overseas-line-1 = Enter the first line of the UK address you were registered at as an overseas voter
error-overseas-town = Enter the town or city of the UK address you were registered at as an overseas voter

# Postal vote and where to send the form
postal-vote-form-by-post = Yes, send me an application form by post
postal-vote-form-by-email = Yes, email me an application form
postal-vote-email = Email address
postal-vote-in-person = No, I will vote in person
postal-vote-already-have = No, I already have a postal vote
error-postal-vote-email = Enter an email address in the correct format, like name@example.com
check-postal-vote-email = Yes, application form by email to { $email }
complete-postal-vote-post = Your Electoral Registration Officer will post you a postal vote application form.
complete-postal-vote-email = Your Electoral Registration Officer will email you a postal vote application form at { $email }.
complete-contact-unknown = To contact your Electoral Registration Officer, find their details on GOV.UK:
complete-contact-link = Contact your Electoral Registration Office
