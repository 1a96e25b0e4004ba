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
csrf-body = Your answer could not be saved because the page was out of date. This can happen if the application was open in another tab or window, or was started again.
csrf-continue = Continue your application
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
exit-ni-address-body = { $postcode } is in Northern Ireland. If you live, or last lived, in Northern Ireland, register with the Electoral Office for Northern Ireland (EONI), not this service.

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
error-nationality-and-reason = Select your nationality or tell us why you cannot provide it, not both

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
error-nino-format = Enter a National Insurance number in the correct format: 2 letters, 6 numbers, then A, B, C or D
error-nino-prefix = Check the first 2 letters of your National Insurance number: no National Insurance number starts with them
error-nino-example = QQ 12 34 56 C is the example: enter your own National Insurance number
error-nino-and-reason = Enter your National Insurance number or tell us why you cannot, not both
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
moved-from-abroad = Yes, from abroad
error-moved = Select whether you have moved in the last 12 months
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

# Postal vote and where to send the form
postal-vote-form-by-post = Yes, send me an application form by post
postal-vote-form-by-email = Yes, email me an application form
postal-vote-email = Email address
postal-vote-in-person = No, I will vote in person
postal-vote-already-have = No, I already have a postal vote
error-postal-vote-email = Enter an email address in the correct format, like name@example.com
check-postal-vote-email = Yes, application form by email to { $email }
complete-contact-unknown = To contact your Electoral Registration Officer, find their details on GOV.UK:
complete-contact-link = Contact your Electoral Registration Office

error-dob-and-reason = Enter your date of birth or tell us why you cannot give it, not both
warning = Warning

# Pages every journey has
timeout-notice = We will delete your answers if you do not do anything for 20 minutes.
timeout-warning-title = Your application will time out soon
timeout-warning-body = We will delete your answers in 2 minutes if you do not do anything. We do this to keep your information secure.
timeout-warning-continue = Continue with your application
restart-title = You have already started an application
restart-body = You can continue the application you started, or start a new one.
restart-continue = Continue your application
restart-warning = If you start again, we will delete the answers you have already given.
restart-button = Delete my answers and start again
complete-another = If you live at more than one address, you can register at each of them.
complete-another-link = Make another application
complete-form-post = We will post you a letter telling you how to { $form }.
complete-form-email = We will email you at { $email } with a link to { $form }.
form-postal = apply for a postal vote
form-proxy = apply for a proxy vote
complete-overseas-ends = Your registration as an overseas voter will last until { $date }, unless you renew it. Your Electoral Registration Officer will remind you before then.
complete-service-ends = Your registration by service declaration will last until { $date }, unless you renew it. Your Electoral Registration Officer will remind you before then.

# Start page: the other journeys
start-others-heading = If you live abroad, or serve abroad
start-others-intro = Use one of these instead if it applies to you:
start-overseas = Register as a British citizen living abroad
start-forces = Register as a member of the armed forces, or their spouse or civil partner
start-crown = Register as a Crown servant or British Council employee, or their spouse or civil partner

# Where you live, checked against the address
where-you-live-title = Your address is in a different country from the one you told us you live in
where-you-live-hint = Where your address is decides which rules apply to you, and which Electoral Registration Officer your application goes to.
where-you-live-address = I live at this address
where-you-live-change = I need to change my address
error-where-you-live = Select whether you live at this address or need to change it

# Moved from abroad, and previous addresses
overseas-voter-title = Were you registered as an overseas voter?
overseas-voter-hint = This means you were on the electoral register at a UK address while you lived abroad.
error-overseas-voter = Select yes if you were registered as an overseas voter
check-overseas-voter = Registered as an overseas voter
previous-address-title = What was your previous address?
previous-address-overseas-title = What UK address were you registered at as an overseas voter?
previous-address-select-title = Select your previous address
previous-address-manual-title = Enter your previous address
check-previous-address = Previous address
check-previous-address-overseas = UK address registered at as an overseas voter
error-address-not-uk = Enter a postcode in the UK
error-previous-address-same = Select the address you lived at before, not your current address
error-field-control = { $field } must not contain control characters

error-field-too-long = { $field } must be { $max } characters or fewer

# How to vote (overseas and service voters)
ways-to-vote-title = How do you want to vote?
ways-to-vote-hint = If you will not be in the UK on election day, you can vote by post or choose someone you trust to vote for you (a proxy).
ways-to-vote-in-person = In person at a polling station
ways-to-vote-by-post = By post
ways-to-vote-by-proxy = By proxy (someone votes for me)
error-ways-to-vote = Select how you want to vote
check-ways-to-vote = How you want to vote
vote-form-postal-title = How should we send you a postal vote application form?
vote-form-proxy-title = How should we send you a proxy vote application form?
vote-form-hint = Your Electoral Registration Officer will send you the form to fill in and return.
vote-form-email = By email
vote-form-post = By post
form-email = Email address
error-vote-form = Select how we should send you the form
check-vote-form = Application form
check-form-email = By email to { $email }
check-form-post = By post

# Overseas voters
last-registered-title = How were you last registered to vote in the UK?
last-registered-hint = If you have been registered at more than one address, tell us about the most recent.
last-registered-ordinary = As a UK resident
last-registered-overseas = As an overseas voter
last-registered-forces = As a member of the armed forces, or their spouse or civil partner
last-registered-crown = As a Crown servant, or their spouse or civil partner
last-registered-british-council = As a British Council employee, or their spouse or civil partner
last-registered-not-registered = I have never been registered to vote in the UK
error-last-registered = Select how you were last registered to vote
check-last-registered = Last registered
date-left-uk-title = When did you leave the UK?
date-left-forces-title = When did you stop being a member of the armed forces, or the spouse or civil partner of one?
date-left-crown-title = When did you stop being a Crown servant, or the spouse or civil partner of one?
date-left-british-council-title = When did you stop being a British Council employee, or the spouse or civil partner of one?
date-left-legend = When you left
date-left-hint = For example, 3 2019. If you do not know exactly, give your best estimate.
error-date-left-before-birth = The date you left must be after you were born
check-date-left-uk = Left the UK
check-date-left-service = Left the service
parent-name-title = Your parent or guardian
parent-name-intro = You left the UK before you were 18 and have never been registered to vote. Tell us about the parent or guardian you lived with, so your Electoral Registration Officer can check the address.
parent-given = Their first name
parent-middle = Their middle names (optional)
parent-surname = Their last name
parent-previous-given = Their previous first name (optional)
parent-previous-surname = Their previous last name (optional)
check-parent-name = Parent or guardian
registered-address-title = What UK address were you last registered at?
last-uk-address-title = What was your last UK address?
parent-address-title = What was the UK address where you lived with your parent or guardian?
check-registered-address = Address last registered at
check-last-uk-address = Last UK address
check-parent-address = Address lived at with parent or guardian
passport-title = Do you have a British passport?
passport-yes = Yes
passport-no-born-in-uk = No, and I was born in the UK
passport-no-born-elsewhere = No, and I was born outside the UK
error-passport = Select whether you have a British passport
check-passport = British passport
passport-details-title = Your British passport
passport-number = Passport number
passport-number-hint = 9 numbers, on the photo page
passport-authority = Issuing authority
passport-authority-hint = For example, HMPO or HM Passport Office
passport-issued = Date of issue
passport-issued-hint = For example, 27 3 2019
error-passport-number-missing = Enter your passport number
error-passport-number = Passport number must be 9 numbers
error-passport-authority = Enter the issuing authority
check-passport-details = Passport
check-passport-details-value = { $number }, issued by { $authority } on { $date }
citizenship-title = How you became a British citizen
citizen-since = Date you became a British citizen
citizen-since-hint = For example, 27 3 2007
citizen-how = How you became a British citizen
citizen-how-hint = For example, by registration, by naturalisation, or through your parents
citizen-birthplace = Where you were born
citizen-birthplace-hint = Town and country
error-citizen-how = Enter how you became a British citizen
error-citizen-birthplace = Enter where you were born
check-citizenship = British citizenship
check-citizenship-value = Since { $date }, { $how }; born in { $birthplace }
previous-name-overseas-title = Have you changed your name since you left the UK?
name-change-reason = Why did your name change?
error-name-change-reason = Enter why your name changed
abroad-address-title = What is your address abroad?
abroad-country = Country
abroad-line-1 = Address line 1
abroad-line-2 = Address line 2 (optional)
abroad-line-3 = Address line 3 (optional)
abroad-line-4 = Address line 4 (optional)
abroad-line-5 = Address line 5 (optional)
error-abroad-country = Select the country
error-abroad-line-1 = Enter the first line of the address
error-country-not-listed = Select a country from the list
check-address-abroad = Address abroad
declaration-overseas = I declare that I am a British citizen, that I do not live in the UK, that I have not been registered to vote at any other address since the registration or residence I have told you about, and that the information I have given is true. I understand it is an offence to give false information.

# Dates other than a date of birth
error-date-missing = { $field } must include every part of the date
error-date-not-a-number = { $field } must be a real date, with numbers
error-date-not-real = { $field } must be a real date
error-date-in-the-future = { $field } must be in the past
error-date-too-long-ago = { $field } must be after { $year }

# Service voters: the armed forces, Crown servants and British Council employees
statement-hint = Select all that apply
forces-statement-title = Which of these applies to you?
forces-statement-member = I am a member of the armed forces
forces-statement-partner = I am married to, or in a civil partnership with, a member of the armed forces
crown-statement-title = Which of these applies to you?
crown-statement-servant = I am a Crown servant working outside the UK
crown-statement-partner = I am married to, or in a civil partnership with, a Crown servant working outside the UK
crown-statement-council-employee = I am a British Council employee working outside the UK
crown-statement-council-partner = I am married to, or in a civil partnership with, a British Council employee working outside the UK
error-statement-nothing = Select the statements that apply to you
error-statement-servant-and-employee = You cannot be both a Crown servant and a British Council employee: select the one that applies to you
error-statement-both-partners = Select only one of the statements about a spouse or civil partner
check-statement = Applying as
uk-address-title = Do you have a UK address?

uk-address-hint = You will be registered at this address.
uk-address-living-there = Yes, and I live there
uk-address-not-living-there = Yes, but I do not live there now
uk-address-no-address = No: I will give my last UK address
error-uk-address = Select whether you have a UK address
check-uk-address = UK address
moved-service-title = Have you moved to this address in the last 12 months?
service-title = Which service are you in?
service-partner-title = Which service is your spouse or civil partner in?
service-royal-navy = Royal Navy
service-british-army = British Army
service-royal-air-force = Royal Air Force
service-regiment = Regiment or corps
service-regiment-hint = For example, Royal Welsh or Royal Logistic Corps
error-service = Select the service
error-regiment = Enter the regiment or corps
check-service = Service
rank-title = Your service number and rank
rank-partner-title = Your spouse’s or civil partner’s service number and rank
service-number = Service number
rank = Rank or rating
rank-hint = For example, Corporal or Able Rating
error-service-number = Enter the service number
error-rank = Enter the rank or rating
check-service-number = Service number
check-rank = Rank or rating
contact-address-title = Where should we write to you?
contact-address-hint = Letters about your registration will go here.
contact-address-uk = To my UK address
contact-address-bfpo = To a British Forces Post Office (BFPO) address
contact-address-abroad = To an address in another country
bfpo-number = BFPO number
bfpo-number-hint = For example, BFPO 38
bfpo-line-1 = Address line 1 (for example, name and unit)
bfpo-line-2 = Address line 2 (optional)
bfpo-line-3 = Address line 3 (optional)
error-contact-address = Select where we should write to you
error-bfpo-number-missing = Enter the BFPO number
error-bfpo-number = BFPO number must be 1 to 4 numbers, like BFPO 38
error-bfpo-line-1 = Enter the first line of the BFPO address
check-contact-address = Address for letters
job-title-title = Your job
job-partner-title = Your spouse’s or civil partner’s job
job-title = Job title
payroll-number = Staff or payroll number
payroll-number-hint = You can find this on a payslip
department = Government department
department-hint = If you work for the British Council, enter British Council
error-job-title = Enter the job title
error-payroll-number = Enter the staff or payroll number
error-department = Enter the government department
check-job-title = Job title
check-payroll-number = Staff or payroll number
check-department = Department
declaration-forces = I declare that I am, or I am married to or in a civil partnership with, a member of the armed forces; that the address I have given is the UK address I live at, or would live at if I were not serving, or my last UK address; and that the information I have given is true. I understand it is an offence to give false information.
declaration-crown = I declare that I am, or I am married to or in a civil partnership with, a Crown servant or British Council employee working outside the UK; that the address I have given is the UK address I would live at if I, or my spouse or civil partner, were not working abroad, or my last UK address; and that the information I have given is true. I understand it is an offence to give false information.
name-change-reason-noun = Your reason
date-left-noun = The date you left
error-parent-given = Enter their first name
error-parent-surname = Enter their last name
error-parent-name-invalid = Their names can only include letters, spaces, hyphens, apostrophes and full stops, and must be 35 characters or fewer (100 for middle names)

## Check your application (/register-to-vote/status)
status-title = Check your application
status-intro = Find out where your application to register to vote is. You need the reference number you were given when you applied, and your date of birth.
status-reference = Reference number
status-reference-hint = 10 letters and numbers, for example BCD23 FGH45. It is on the page you saw when you applied, and in the email, text message or letter we sent you.
status-dob = Date of birth
status-submit = Check your application
status-lost = If you have lost your reference number, contact your Electoral Registration Officer.
error-status-reference-missing = Enter your reference number
error-status-reference-format = Enter your reference number as it was given to you, 10 letters and numbers, like BCD23 FGH45
error-status-not-found = We could not find an application with that reference number and date of birth. Check them and try again.
status-result-title = Your application to register to vote
status-received = Application received
status-received-on = We received your application on { $date }.
status-identity = Identity check
status-identity-waiting = We are checking your identity.
status-identity-confirmed = We have confirmed your identity.
status-identity-not-confirmed = We could not confirm your identity from the details you gave. Your Electoral Registration Officer may ask you for evidence of who you are. You do not need to apply again.
status-council = With your council
status-council-waiting = Your application is on its way to the Electoral Registration Officer at { $ero }.
status-council-since = The Electoral Registration Officer at { $ero } has had your application since { $date }.
status-decision = Decision
status-decision-waiting = The Electoral Registration Officer has not decided yet. They will contact you if they need more information.
status-registered = You were added to the electoral register on { $date }.
status-not-registered = On { $date } the Electoral Registration Officer decided not to add you to the electoral register.
status-evidence-requested = The Electoral Registration Officer needs evidence of your identity before they can decide. They will tell you what to send.
status-tag-done = Done
status-tag-waiting = Not yet
status-tag-action = Action needed
status-tag-refused = Not registered
status-reasons = Why
status-contact = Contact the Electoral Registration Officer at { $ero }
status-another = Check another application
complete-status = You can check your application at any time with your reference number and your date of birth.
complete-status-link = Check your application
unavailable-title = Sorry, there is a problem with the service
unavailable-body = Try again in a few minutes.

## The demo's inbox (/demo/notifications)
inbox-caption = Demo
inbox-title = Messages sent
inbox-intro = What the GOV.UK Notify simulator was asked to send, newest first: each applicant's email, text message or letter as they would get it. Only the demo has this page.
inbox-empty = No messages yet. Send an application, and its acknowledgement appears here within a few seconds.
inbox-sms = Text message
inbox-channel = Sent by
inbox-channel-email = Email
inbox-channel-sms = Text message
inbox-channel-letter = Letter
inbox-to = To
inbox-sent = Sent
inbox-reference = Reference

# Told before sending: the person index found this applicant (an earlier application, or the register).
repeat-applied = You applied to register on { $date }. You do not need to apply again.
repeat-registered = You may already be registered to vote at this address. You do not need to apply again.
repeat-send-anyway = If your name or other details have changed, or you are not sure, you can still send this application.

# "Am I registered?"
registered-title = Check if you are registered to vote
registered-intro = Enter your details as you would on the electoral register. We will tell you if you appear to be registered at this address.
registered-given = First name
registered-surname = Last name
registered-house = House name or number
registered-house-hint = If you live in a flat, include its number, for example Flat 2, 14
registered-postcode = Postcode
registered-submit = Check if you are registered
registered-privacy = We only tell you whether you appear to be registered. We never show anyone’s name or address, and we do not keep what you enter here.
registered-yes-title = You appear to be registered to vote at this address
registered-yes-body = You do not need to register again unless your name, address or nationality changes.
registered-no-title = We cannot find you on the register at this address
registered-no-body = You may not be registered, or your details may be written differently on the register. Registering takes about 5 minutes.
registered-register-now = Register to vote now
registered-recent = Very recent changes may not show here yet: it can take some weeks for a new registration or a move to reach this check. If you applied recently, you can
registered-council = Your address is in { $council }.
registered-again = Check someone else’s details
error-registered-house-empty = Enter your house name or number
error-registered-postcode-unknown = We could not find that postcode. Check it and try again
error-registered-postcode-gb = Enter a postcode in England, Scotland or Wales
start-registered = Check if you are already registered
start-status = Check your application
registered-status-link = check your application

# The demo (/demo)
demo-title = Try the service without applying
demo-lead = Walk through registering to vote with the same questions and checks as the real service. Nothing you enter is sent to anyone or kept.
demo-how = Answer the questions yourself, or fill in a made-up person to go straight to the end. You will get a demo reference number at the end: it is not a real application.
demo-journey-ordinary = Living in the UK
demo-journey-overseas = British citizens living abroad
demo-journey-forces = Armed forces members and their families
demo-journey-crown = Crown servants and British Council employees abroad
demo-start = Start the demo
demo-fill = Fill in a made-up person
demo-real = Register to vote for real
demo-banner-title = Demo
demo-banner = This is a demo. Nothing you enter is sent to anyone, and you are not registered to vote.
demo-banner-link = Leave or restart the demo
start-demo = Try the service without applying
demo-replaces = You have started an application. Starting the demo ends it, and what you entered will be lost.
demo-continue = Continue your application instead
too-large-title = What you sent is too large
too-large-body = No answer is this long. Go back, check what you entered and send it again.
unreadable-title = Sorry, we could not read what was sent
unreadable-body = Go back to the form, check what you entered and send it again.
