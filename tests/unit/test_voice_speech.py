"""The bot's chat replies as the phone line speaks them: words only, nothing Polly would misread."""

from __future__ import annotations

import random
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.web.voice.numbers_in_words import digits_spoken, money_words, number_words, ordinal_words
from app.web.voice.speech import for_the_ear, spoken_choices

GREETING = (
    "Hi! I'm Kestrel Mobile's automated assistant. I can explain your bill, check your balance and "
    "due date, help with late fees, duplicate charges, outage credits, disputed charges, payment "
    "extensions and order tracking, and connect you with a person. How can I help?"
)
BILL = (
    "Your current bill is $112.40, up $30.00 from $82.40. New on this bill: International roaming: "
    "3 days x $10.00 = $30.00. Late fee: $5.00."
)
CREDIT_OFFER = (
    "I can apply a $5.00 credit to your current bill (Late fee, November).  Your balance would go "
    "from $112.40 to $107.40. Shall I go ahead?"
)
CREDIT_DONE = (
    "Done: your $5.00 credit (late fee waiver) was applied (reference BSS-ADJ-000123). Your "
    "balance is now $107.40."
)
HANDOFF = (
    "I've opened a case for you. Your case reference is KM-7F3A21; a person from our team will "
    "pick it up, and the expected wait is about 4 minutes."
)
EXTENSION_OFFER = (
    "I can move your due date from December 12 to December 26 (14 days). Shall I go ahead?"
)
DUE_DATE = "Your current bill of $112.40 is due on December 12, 2026."
HOW_TO_PAY = (
    "You can pay online at kestrel.example/pay, by phone at +1 555 010 7000 (automated, 24/7), or "
    "by setting up autopay in the account portal."
)
REVIEW_HINT = 'If you\'d like a person to review it, just say "talk to a person".'
LINE_CHANGED = "Roaming went from $10.00 to $30.00 (+$20.00)."
MARKDOWN = (
    "**Balance**: $5.00",
    "_note_",
    "`code`",
    "# Heading",
    "- item",
    "[pay here](https://kestrel.example/pay)",
    "✅ Done 🎉",
    "• item",
)
REPLIES = (
    "Hi! I'm Kestrel Mobile's automated assistant. ...",
    GREETING,
    BILL,
    CREDIT_OFFER,
    CREDIT_DONE,
    HANDOFF,
    EXTENSION_OFFER,
    DUE_DATE,
    HOW_TO_PAY,
    REVIEW_HINT,
    LINE_CHANGED,
    *MARKDOWN,
)

FORBIDDEN = set('$%&*_#~|<>[]{}()"`/\\+=@^:0123456789')
PICTOGRAPH_CATEGORIES = {"So", "Sk", "Cs", "Co", "Cn", "Cf", "Me"}
UNTIDY = (" ,", ",,", ". .", ", .", "  ", " .", " ?", " !", "..")
SPRINKLES = (
    "🎉", "✅", "👍🏽", "🇺🇸", "👨‍👩‍👧", "❤️", "1️⃣", "🫠", "™",
    "**", "_", "`", "~~", "#", "•", "|", "<", ">", "[", "]", "{", "}", "^", "\\",
    "\n", "\n- ", "\n# ", "\n> ", "\n1. ", "  ", "…", "...", "\u200d", "\ufe0f", "\u00ad",
)  # fmt: skip


def assert_speakable(spoken: str) -> None:
    """The invariants of anything handed to Polly."""
    assert not FORBIDDEN & set(spoken), spoken
    assert not [c for c in spoken if unicodedata.category(c) in PICTOGRAPH_CATEGORIES], spoken
    assert not [c for c in spoken if unicodedata.category(c) in {"Nd", "No", "Sm", "Sc"}], spoken
    assert not [untidy for untidy in UNTIDY if untidy in spoken], spoken
    assert spoken == spoken.strip()


def sprinkled(text: str, rng: random.Random) -> str:
    characters = list(text)
    for _ in range(rng.randint(1, 6)):
        characters.insert(rng.randint(0, len(characters)), rng.choice(SPRINKLES))
    return "".join(characters)


# --- the real replies, word for word ------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "spoken"),
    [
        pytest.param(
            BILL,
            "Your current bill is one hundred twelve dollars and forty cents, up thirty dollars "
            "from eighty-two dollars and forty cents. New on this bill, International roaming, "
            "three days at ten dollars, thirty dollars. Late fee, five dollars.",
            id="bill",
        ),
        pytest.param(
            CREDIT_OFFER,
            "I can apply a five dollar credit to your current bill, Late fee, November. Your "
            "balance would go from one hundred twelve dollars and forty cents to one hundred seven "
            "dollars and forty cents. Shall I go ahead?",
            id="credit offer",
        ),
        pytest.param(
            CREDIT_DONE,
            "Done, your five dollar credit, late fee waiver, was applied, reference B S S, A D J, "
            "zero zero zero one two three. Your balance is now one hundred seven dollars and "
            "forty cents.",
            id="credit done",
        ),
        pytest.param(
            HANDOFF,
            "I've opened a case for you. Your case reference is K M, seven F three A two one. A "
            "person from our team will pick it up, and the expected wait is about four minutes.",
            id="handoff",
        ),
        pytest.param(
            EXTENSION_OFFER,
            "I can move your due date from December twelfth to December twenty-sixth, fourteen "
            "days. Shall I go ahead?",
            id="extension offer",
        ),
        pytest.param(
            DUE_DATE,
            "Your current bill of one hundred twelve dollars and forty cents is due on December "
            "twelfth, twenty twenty-six.",
            id="due date",
        ),
        pytest.param(
            HOW_TO_PAY,
            "You can pay online at our website, by phone at one, five five five, zero one zero, "
            "seven zero zero zero, automated, twenty-four seven, or by setting up autopay in the "
            "account portal.",
            id="how to pay",
        ),
        pytest.param(
            REVIEW_HINT,
            "If you'd like a person to review it, just say talk to a person.",
            id="review hint",
        ),
        pytest.param(
            LINE_CHANGED,
            "Roaming went from ten dollars to thirty dollars, plus twenty dollars.",
            id="line changed",
        ),
        pytest.param(GREETING, GREETING, id="greeting"),
        pytest.param(
            "Hi! I'm Kestrel Mobile's automated assistant. ...",
            "Hi! I'm Kestrel Mobile's automated assistant.",
            id="greeting cut short",
        ),
        pytest.param(
            "New on this bill: International roaming: 3 days x $10.00 = $30.00; Late fee: $5.00.",
            "New on this bill, International roaming, three days at ten dollars, thirty dollars. "
            "Late fee, five dollars.",
            id="two new lines",
        ),
    ],
)
def test_a_real_reply_is_spoken_word_for_word_as_expected(reply, spoken):
    assert for_the_ear(reply) == spoken


# --- numbers, ordinals, money, digits ----------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (1, "one"),
        (11, "eleven"),
        (13, "thirteen"),
        (19, "nineteen"),
        (20, "twenty"),
        (21, "twenty-one"),
        (99, "ninety-nine"),
        (100, "one hundred"),
        (101, "one hundred one"),
        (110, "one hundred ten"),
        (1000, "one thousand"),
        (1001, "one thousand one"),
        (1234, "one thousand two hundred thirty-four"),
        (100_000, "one hundred thousand"),
        (1_000_000, "one million"),
        (2_000_017, "two million seventeen"),
        (
            999_999_999,
            "nine hundred ninety-nine million nine hundred ninety-nine thousand nine hundred "
            "ninety-nine",
        ),
        (5_000_000_000, "five billion"),
        (-7, "minus seven"),
    ],
)
def test_a_number_is_written_in_words_without_and(n, words):
    assert number_words(n) == words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zeroth"),
        (1, "first"),
        (2, "second"),
        (3, "third"),
        (4, "fourth"),
        (5, "fifth"),
        (8, "eighth"),
        (9, "ninth"),
        (11, "eleventh"),
        (12, "twelfth"),
        (13, "thirteenth"),
        (20, "twentieth"),
        (21, "twenty-first"),
        (22, "twenty-second"),
        (23, "twenty-third"),
        (30, "thirtieth"),
        (31, "thirty-first"),
        (100, "one hundredth"),
        (101, "one hundred first"),
        (1_000_000, "one millionth"),
    ],
)
def test_an_ordinal_changes_only_its_last_word(n, words):
    assert ordinal_words(n) == words


@pytest.mark.parametrize(
    ("cents", "words"),
    [
        (0, "zero dollars"),
        (1, "one cent"),
        (99, "ninety-nine cents"),
        (100, "one dollar"),
        (101, "one dollar and one cent"),
        (500, "five dollars"),
        (1250, "twelve dollars and fifty cents"),
        (11240, "one hundred twelve dollars and forty cents"),
        (100_000_000, "one million dollars"),
        (-500, "minus five dollars"),
        (-1, "minus one cent"),
    ],
)
def test_an_amount_in_dollars_and_cents_is_spoken_in_words(cents, words):
    assert money_words(cents) == words


@pytest.mark.parametrize(
    ("digits", "words"),
    [
        ("4321", "four three two one"),
        ("100001", "one zero zero zero zero one"),
        ("0", "zero"),
        ("", ""),
    ],
)
def test_digits_are_spoken_one_by_one_with_zero_as_zero(digits, words):
    assert digits_spoken(digits) == words


@pytest.mark.parametrize("not_digits", ["12a4", "555-0100", " 1", "²"])
def test_anything_but_digits_is_refused_rather_than_spoken_as_digits(not_digits):
    with pytest.raises(ValueError):
        digits_spoken(not_digits)


# --- for_the_ear, rule by rule -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("$1,234.56", "one thousand two hundred thirty-four dollars and fifty-six cents"),
        ("$5.00", "five dollars"),
        ("$5", "five dollars"),
        ("$12.50", "twelve dollars and fifty cents"),
        ("$0.99", "ninety-nine cents"),
        ("$0.01", "one cent"),
        ("$0.00", "zero dollars"),
        ("$1.00", "one dollar"),
        ("$1,000,000.00", "one million dollars"),
        ("-$5.00", "minus five dollars"),
        ("−$5.00", "minus five dollars"),
        ("+$20.00", "plus twenty dollars"),
        ("a refund of $12.5", "a refund of twelve dollars and fifty cents"),
    ],
)
def test_an_amount_is_spoken_in_dollars_and_cents(text, spoken):
    assert for_the_ear(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("a $5.00 credit", "a five dollar credit"),
        ("a $12.50 late fee", "a twelve dollar and fifty cent late fee"),
        ("two $0.99 charges", "two ninety-nine cent charges"),
        ("up $30.00 from", "up thirty dollars from"),
    ],
)
def test_an_amount_before_what_it_prices_keeps_its_unit_singular(text, spoken):
    assert for_the_ear(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("December 12", "December twelfth"),
        ("December 12, 2026", "December twelfth, twenty twenty-six"),
        ("Dec 12", "December twelfth"),
        ("Dec. 3rd", "December third"),
        ("Sept 1", "September first"),
        ("2026-12-12", "December twelfth, twenty twenty-six"),
        ("12 December 2026", "December twelfth, twenty twenty-six"),
        ("on the 1st of May", "on May first"),
        ("12/20", "December twentieth"),
        ("12/20/2026", "December twentieth, twenty twenty-six"),
        ("March 2026", "March twenty twenty-six"),
        ("January 5, 2006", "January fifth, two thousand six"),
        ("January 5, 2000", "January fifth, two thousand"),
        ("January 5, 2010", "January fifth, twenty ten"),
        ("January 5, 1999", "January fifth, nineteen ninety-nine"),
        ("January 5, 1905", "January fifth, nineteen oh five"),
        ("since 2019", "since twenty nineteen"),
        ("the card ending in 2019", "the card ending in two zero one nine"),
    ],
)
def test_a_date_has_its_month_in_full_an_ordinal_day_and_a_spoken_year(text, spoken):
    assert for_the_ear(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("10:30", "ten thirty"),
        ("10:05", "ten oh five"),
        ("10:00", "ten o'clock"),
        ("14:00", "fourteen hundred"),
        ("9am", "nine a.m."),
        ("at 10:30 PM, or later", "at ten thirty p.m., or later"),
    ],
)
def test_a_time_keeps_its_colon_out_of_the_words(text, spoken):
    assert for_the_ear(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("Pay at https://kestrel.example/pay.", "Pay at our website."),
        ("Pay at www.kestrel.example/pay?x=1&y=2, today", "Pay at our website, today"),
        ("Pay at kestrel.example/pay", "Pay at our website"),
        ("See kestrel.example.", "See our website."),
        ("[pay here](https://kestrel.example/pay)", "pay here"),
        ("[](https://kestrel.example/pay)", "our website"),
        ("Write to help@kestrel.example.", "Write to help at kestrel dot example."),
    ],
)
def test_a_link_is_never_read_out(text, spoken):
    assert for_the_ear(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("+1 555 010 7000", "one, five five five, zero one zero, seven zero zero zero"),
        ("+15550107100", "one, five five five, zero one zero, seven one zero zero"),
        ("555-010-7000", "five five five, zero one zero, seven zero zero zero"),
        ("(555) 010-7000", "five five five, zero one zero, seven zero zero zero"),
        ("1-800-555-0100", "one, eight zero zero, five five five, zero one zero zero"),
    ],
)
def test_a_phone_number_is_spoken_digit_by_digit_in_its_groups(text, spoken):
    assert for_the_ear(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("KM-7F3A21", "K M, seven F three A two one"),
        ("BSS-ADJ-000123", "B S S, A D J, zero zero zero one two three"),
        ("KM-1001", "K M, one zero zero one"),
        ("CR-9F2A0B", "C R, nine F two A zero B"),
        ("a T-Mobile phone", "a T-Mobile phone"),
    ],
)
def test_a_reference_is_spelled_letter_by_letter_and_digit_by_digit(text, spoken):
    assert for_the_ear(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("3 days", "three days"),
        ("14 days", "fourteen days"),
        ("11 texts", "eleven texts"),
        ("24/7", "twenty-four seven"),
        ("5%", "five percent"),
        ("a 2.5% rise", "a two point five percent rise"),
        ("account 100001", "account one zero zero zero zero one"),
        ("PIN 1234", "PIN one two three four"),
        ("1,000 minutes", "one thousand minutes"),
        ("the 4-digit PIN", "the four-digit PIN"),
        (
            "the 13th, the 22nd and the 101st",
            "the thirteenth, the twenty-second and the one hundred first",
        ),
        ("5-10 days", "five to ten days"),
        ("Mon–Fri, 8am–8pm", "Mon to Fri, eight a.m. to eight p.m."),
        ("5GB of data", "five GB of data"),
        ("a -5 balance", "a minus five balance"),
        ("version 2.0.1", "version two point zero point one"),
        ("order #2", "order number two"),
        ("007", "zero zero seven"),
    ],
)
def test_every_other_number_becomes_words(text, spoken):
    assert for_the_ear(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("2 lines x $10.00 = $20.00", "two lines at ten dollars, twenty dollars"),
        ("3 x 4", "three times four"),
        ("calls & texts", "calls and texts"),
        ("AT&T", "AT and T"),
        ("yes/no", "yes or no"),
        ("and/or", "and or"),
        ("credit (late fee) was", "credit, late fee, was"),
        ("credit (late fee).", "credit, late fee."),
        ("It's done; thanks.", "It's done. Thanks."),
        ("Note: done", "Note, done"),
        ("Say \"agent\" or 'person'", "Say agent or person"),
        ("Wait... done…", "Wait. done."),
        ("one — two", "one, two"),
        ("one - two", "one, two"),
        ("a~b|c<d>e{f}g^h\\i", "a b c d e f g h i"),
        ("line one\nline two", "line one. line two"),
        ("Your bill:\n- Roaming\n- Late fee", "Your bill. Roaming. Late fee"),
        ("1. First\n2) Second", "First. Second"),
        ("> quoted", "quoted"),
        ("Done ✅ 👨‍👩‍👧 ❤️ 🇺🇸 👍🏽 🫠!", "Done!"),
        ("I'm sure you'd like it.", "I'm sure you'd like it."),
        ("a well-known plan", "a well-known plan"),
    ],
)
def test_a_symbol_becomes_a_word_or_a_pause_or_nothing(text, spoken):
    assert for_the_ear(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("**Balance**: $5.00", "Balance, five dollars"),
        ("_note_", "note"),
        ("`code`", "code"),
        ("# Heading", "Heading"),
        ("- item", "item"),
        ("✅ Done 🎉", "Done"),
        ("• item", "item"),
        (
            "**Your bill**\n- Roaming: $30.00\n- Late fee: $5.00",
            ("Your bill. Roaming, thirty dollars. Late fee, five dollars"),
        ),
    ],
)
def test_markdown_leaves_only_its_words(text, spoken):
    assert for_the_ear(text) == spoken


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "🎉✅", "**", "---", "|---|---|", "( )", "$"])
def test_nothing_to_say_is_the_empty_string(text):
    assert for_the_ear(text) == ""


def test_punctuation_is_tidied_after_the_symbols_go():
    assert for_the_ear("Done ( ok ) ,, then . . next , . end") == "Done, ok, then. next. end"


# --- the invariants, over every real reply and noisy copies of them ----------------------------


@pytest.mark.parametrize("reply", REPLIES)
def test_a_real_reply_leaves_nothing_polly_would_misread(reply):
    spoken = for_the_ear(reply)
    assert spoken
    assert_speakable(spoken)


def test_a_real_reply_with_emoji_and_markdown_sprinkled_in_leaves_nothing_polly_would_misread():
    rng = random.Random(7)
    for reply in REPLIES:
        for _ in range(200):
            noisy = sprinkled(reply, rng)
            assert_speakable(for_the_ear(noisy))


@settings(derandomize=True, max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_any_text_at_all_leaves_nothing_polly_would_misread(text):
    assert_speakable(for_the_ear(text))


@settings(derandomize=True, max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                *"0123456789 $.,:;-+/()%&x\n",
                "December ",
                "Dec ",
                "KM-",
                "BSS-",
                "https://",
                ".example",
                "#",
                "**",
                "🎉",
                "−",
                "am",
                "th",
                " x ",
                "24/7",
                "@",
            ]
        ),
        max_size=30,
    ).map("".join)
)
def test_figures_and_symbols_in_any_order_leave_nothing_polly_would_misread(text):
    assert_speakable(for_the_ear(text))


# --- buttons -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("titles", "spoken"),
    [
        (["Yes", "No"], "Say yes, or press one. Say no, or press two."),
        (["One week", "Two weeks"], "Say one week, or press one. Say two weeks, or press two."),
        (["2 weeks", "30 days"], "Say two weeks, or press one. Say thirty days, or press two."),
        (
            ["I'd like a person", "Talk to a person!"],
            ("Say I'd like a person, or press one. Say talk to a person, or press two."),
        ),
        (["Yes ✅", "👍"], "Say yes, or press one. Press two."),
        (["No. Thanks"], "Say no, thanks, or press one."),
        ([], ""),
    ],
)
def test_each_button_is_read_with_the_key_that_chooses_it(titles, spoken):
    assert spoken_choices(titles) == spoken


def test_nine_buttons_fit_on_the_keypad():
    spoken = spoken_choices([f"Option {n}" for n in range(1, 10)])
    assert spoken.endswith("Say option nine, or press nine.")


def test_a_tenth_button_has_no_key_and_is_refused():
    with pytest.raises(ValueError):
        spoken_choices([f"Option {n}" for n in range(1, 11)])
