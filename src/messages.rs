//! Every text a person reads about a row, in the language of the sheet's header.
//!
//! One place for the wording: statuses, reasons and warnings. A Russian header gets Russian
//! statuses ("Готово к загрузке"), any other gets English.

use crate::domain::text::TooLong;
use crate::domain::{EmailError, MessengerIdError, PhoneError, Problem, Said, TextField, Warning};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    Ru,
    #[default]
    En,
}

impl Lang {
    /// Russian when any header cell is written in Cyrillic.
    pub fn of_header<'a>(cells: impl IntoIterator<Item = &'a str>) -> Lang {
        let cyrillic = cells.into_iter().any(|c| {
            c.chars()
                .any(|ch| matches!(ch, 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё'))
        });
        if cyrillic { Lang::Ru } else { Lang::En }
    }

    /// The Russian or the English text.
    pub fn pick(self, ru: &str, en: &str) -> String {
        match self {
            Lang::Ru => ru.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}

/// The name of the status column we add.
pub fn status_header(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "Статус",
        Lang::En => "Status",
    }
}

pub fn ready(lang: Lang) -> String {
    lang.pick("Готово к загрузке", "Ready to load")
}

pub fn merged(lang: Lang, into_row: u32) -> String {
    match lang {
        Lang::Ru => format!("Объединено со строкой {into_row}"),
        Lang::En => format!("Merged with row {into_row}"),
    }
}

pub fn created(lang: Lang) -> String {
    lang.pick("Создан", "Created")
}

pub fn updated(lang: Lang) -> String {
    lang.pick("Обновлён", "Updated")
}

pub fn unchanged(lang: Lang) -> String {
    lang.pick("Без изменений", "Unchanged")
}

pub fn failed(lang: Lang, message: &str) -> String {
    match lang {
        Lang::Ru => format!("Не загружено: {message}"),
        Lang::En => format!("Not loaded: {message}"),
    }
}

pub fn pending(lang: Lang, reason: Option<&str>) -> String {
    match (lang, reason) {
        (Lang::Ru, Some(reason)) => format!("Ожидает: {reason} — запустите загрузку ещё раз"),
        (Lang::Ru, None) => "Ожидает следующего запуска".to_owned(),
        (Lang::En, Some(reason)) => format!("Pending: {reason} — run the load again"),
        (Lang::En, None) => "Pending the next run".to_owned(),
    }
}

/// Why a row waits after `--sample`.
pub fn not_in_sample(lang: Lang) -> String {
    lang.pick("не вошла в пробную загрузку", "not in the sample")
}

pub fn skipped(lang: Lang) -> String {
    lang.pick("Пропущено: пустая строка", "Skipped: empty row")
}

pub fn invalid(lang: Lang, problem: &Problem) -> String {
    match lang {
        Lang::Ru => format!("Ошибка: {}", problem_text(lang, problem)),
        Lang::En => format!("Error: {}", problem_text(lang, problem)),
    }
}

/// `head`, then — when there are any — `items` after the words that introduce them:
/// "…: в нём есть wa_dialog, tg_user".
pub fn listed(lang: Lang, head: String, (ru, en): (&str, &str), items: &[String]) -> String {
    if items.is_empty() {
        return head;
    }
    let words = match lang {
        Lang::Ru => ru,
        Lang::En => en,
    };
    format!("{head}: {words} {}", items.join(", "))
}

/// A target's words, written once for both languages.
pub fn said(text: impl Fn(Lang) -> String) -> Said {
    Said {
        ru: text(Lang::Ru).into(),
        en: text(Lang::En).into(),
    }
}

fn said_text(lang: Lang, said: &Said) -> String {
    match lang {
        Lang::Ru => said.ru.to_string(),
        Lang::En => said.en.to_string(),
    }
}

/// A status with its warnings appended: "Готово к загрузке; внимание: …".
pub fn with_warnings(lang: Lang, status: String, warnings: &[Warning]) -> String {
    if warnings.is_empty() {
        return status;
    }
    let notes: Vec<String> = warnings.iter().map(|w| warning_text(lang, w)).collect();
    match lang {
        Lang::Ru => format!("{status}; внимание: {}", notes.join("; ")),
        Lang::En => format!("{status}; note: {}", notes.join("; ")),
    }
}

fn field_name(lang: Lang, field: TextField) -> &'static str {
    match (lang, field) {
        (Lang::Ru, TextField::Name) => "имя",
        (Lang::Ru, TextField::Comment) => "комментарий",
        (Lang::Ru, TextField::Company) => "компания",
        (Lang::Ru, TextField::Position) => "должность",
        (Lang::En, TextField::Name) => "the name",
        (Lang::En, TextField::Comment) => "the comment",
        (Lang::En, TextField::Company) => "the company",
        (Lang::En, TextField::Position) => "the position",
        (Lang::Ru, TextField::Unbounded) => "текст",
        (Lang::En, TextField::Unbounded) => "the text",
    }
}

/// Why a row cannot be loaded, and what to do about it.
pub fn problem_text(lang: Lang, problem: &Problem) -> String {
    match problem {
        Problem::NoContact => lang.pick(
            "нет контакта — укажите телефон или e-mail",
            "no contact — fill in a phone or an e-mail",
        ),
        Problem::NotPhoneOrEmail => lang.pick(
            "в ячейке контакта не телефон и не e-mail",
            "the contact cell holds neither a phone nor an e-mail",
        ),
        Problem::SpreadsheetError(shown) => match lang {
            Lang::Ru => format!(
                "в ячейке ошибка таблицы {shown} — номер, введённый как +7…, таблица считает \
                 формулой: введите его заново с апострофом в начале ('+7…) или задайте \
                 колонке формат «Обычный текст»"
            ),
            Lang::En => format!(
                "the cell shows the spreadsheet error {shown} — a number typed as +7… is taken \
                 for a formula: type it again with an apostrophe in front ('+7…) or format the \
                 column as plain text"
            ),
        },
        Problem::Phone(error) => phone_text(lang, error),
        Problem::Email(error) => email_text(lang, error),
        Problem::MessengerId(error) => messenger_id_text(lang, error),
        Problem::TooLong(TooLong { field, chars }) => {
            let name = field_name(lang, *field);
            let max = field.max_chars();
            match lang {
                Lang::Ru => format!("{name} длиннее {max} символов ({chars}) — сократите",),
                Lang::En => {
                    format!("{name} is longer than {max} characters ({chars}) — shorten it")
                }
            }
        }
        Problem::Target(said) => said_text(lang, said),
        Problem::TagTooLong(too_long) => match lang {
            Lang::Ru => format!(
                "тег длиннее {} символов ({}) — теги разделяются запятой",
                crate::domain::tags::MAX_TAG_CHARS,
                too_long.chars
            ),
            Lang::En => format!(
                "a tag is longer than {} characters ({}) — separate tags with commas",
                crate::domain::tags::MAX_TAG_CHARS,
                too_long.chars
            ),
        },
    }
}

fn phone_text(lang: Lang, error: &PhoneError) -> String {
    match error {
        PhoneError::SpreadsheetError(shown) => {
            problem_text(lang, &Problem::SpreadsheetError(shown.clone()))
        }
        PhoneError::ExponentForm => lang.pick(
            "номер записан как 7,99912E+10 — последние цифры потеряны: задайте колонке \
             текстовый формат и выгрузите список заново",
            "the number is written as 7.99912E+10 — its last digits are lost: format the \
             column as text and export the list again",
        ),
        PhoneError::Letters => lang.pick("в номере есть буквы", "the number contains letters"),
        PhoneError::UnexpectedCharacters => lang.pick(
            "в номере лишние символы — оставьте цифры, +, пробелы, скобки и дефисы",
            "the number has stray characters — keep digits, +, spaces, brackets and dashes",
        ),
        PhoneError::TwoNumbers => lang.pick(
            "в ячейке два номера — оставьте один, второй перенесите в отдельную строку",
            "the cell holds two numbers — keep one and move the other to a row of its own",
        ),
        PhoneError::TooShort => lang.pick("в номере не хватает цифр", "the number is too short"),
        PhoneError::TooLong => lang.pick("в номере лишние цифры", "the number is too long"),
        PhoneError::UnknownCountryCode => lang.pick(
            "неизвестный код страны после +",
            "no country has the code after +",
        ),
        PhoneError::NotValid { region } => match lang {
            Lang::Ru => format!(
                "такого номера не существует — проверьте цифры и код страны (номера без кода \
                 страны читаются как {region})"
            ),
            Lang::En => format!(
                "no such number exists — check the digits and the country code (numbers \
                 without one are read as {region})"
            ),
        },
    }
}

fn email_text(lang: Lang, error: &EmailError) -> String {
    match error {
        EmailError::DisplayName => lang.pick(
            "в ячейке e-mail лишнее — оставьте только адрес, без имени и скобок",
            "the e-mail cell holds more than the address — keep only the address",
        ),
        EmailError::TwoAddresses => lang.pick(
            "в ячейке несколько контактов — оставьте один, остальные перенесите в отдельные строки",
            "the cell holds several contacts — keep one and move the others to rows of their own",
        ),
        EmailError::NoAt => lang.pick("в e-mail нет @", "the e-mail has no @"),
        EmailError::NoTopLevelDomain => lang.pick(
            "в e-mail нет домена верхнего уровня (например, .ru)",
            "the e-mail's domain has no top level (like .com)",
        ),
        EmailError::DomainLiteral => lang.pick(
            "e-mail с IP-адресом вместо домена не принимается",
            "an e-mail with an IP address for a domain is not accepted",
        ),
        EmailError::Spaces => lang.pick("в e-mail есть пробелы", "the e-mail contains spaces"),
        EmailError::Malformed => lang.pick(
            "e-mail записан с ошибкой — проверьте точки и символы",
            "the e-mail is malformed — check its dots and characters",
        ),
        EmailError::DomainCharacter(c) => match lang {
            Lang::Ru => format!(
                "в домене e-mail (после @) недопустимый символ «{c}» — в домене бывают только \
                 буквы, цифры, дефисы и точки"
            ),
            Lang::En => format!(
                "the e-mail's domain (after the @) holds “{c}” — a domain has only letters, \
                 digits, hyphens and dots"
            ),
        },
        EmailError::NumericTopLevelDomain => lang.pick(
            "домен верхнего уровня e-mail (после последней точки) должен кончаться буквой, \
             как .ru или .com",
            "the e-mail's top-level domain (after the last dot) must end in a letter, like .ru \
             or .com",
        ),
        EmailError::SpecialUseDomain(name) => match lang {
            Lang::Ru => format!(
                "домен .{name} в e-mail зарезервирован не для почты — письма на него не доходят"
            ),
            Lang::En => {
                format!("the e-mail's domain .{name} is reserved for other uses than mail")
            }
        },
        EmailError::TooLong => match lang {
            Lang::Ru => format!(
                "e-mail слишком длинный — длиннее {} байт",
                crate::domain::email::MAX_ADDRESS_OCTETS
            ),
            Lang::En => format!(
                "the e-mail is too long — over {} bytes",
                crate::domain::email::MAX_ADDRESS_OCTETS
            ),
        },
        EmailError::LocalPartTooLong => match lang {
            Lang::Ru => format!(
                "e-mail слишком длинный: часть до @ длиннее {} символов",
                crate::domain::email::MAX_LOCAL_CHARS
            ),
            Lang::En => format!(
                "the e-mail is too long: the part before the @ is over {} characters",
                crate::domain::email::MAX_LOCAL_CHARS
            ),
        },
        EmailError::DomainLabelTooLong => lang.pick(
            "домен e-mail слишком длинный: часть между точками длиннее 63 символов",
            "the e-mail's domain is too long: a part between dots is over 63 characters",
        ),
        EmailError::InvalidDomain => lang.pick(
            "домен e-mail (после @) записан с ошибкой — такого имени домена быть не может",
            "the e-mail's domain (after the @) is malformed — no domain can have that name",
        ),
    }
}

fn messenger_id_text(lang: Lang, error: &MessengerIdError) -> String {
    match error {
        MessengerIdError::NoSeparator => lang.pick(
            "идентификатор мессенджера пишется как канал|id, например telegram|123456789",
            "a messenger id is written as channel|id, e.g. telegram|123456789",
        ),
        MessengerIdError::UnknownChannel(channel) => match lang {
            Lang::Ru => format!("неизвестный канал «{channel}» в идентификаторе мессенджера"),
            Lang::En => format!("unknown channel “{channel}” in the messenger id"),
        },
        MessengerIdError::EmptyId => lang.pick(
            "в идентификаторе мессенджера нет id после |",
            "the messenger id has no id after |",
        ),
        MessengerIdError::BadId => lang.pick(
            "id мессенджера с пробелами или слишком длинный",
            "the messenger id has spaces or is too long",
        ),
    }
}

pub fn warning_text(lang: Lang, warning: &Warning) -> String {
    match warning {
        Warning::UnknownMessenger(name) => match lang {
            Lang::Ru => format!("неизвестный мессенджер «{name}»"),
            Lang::En => format!("unknown messenger “{name}”"),
        },
        Warning::LargeCluster { profiles } => match lang {
            Lang::Ru => format!(
                "связано {profiles} профилей — возможно, это общий телефон или e-mail компании"
            ),
            Lang::En => {
                format!("{profiles} profiles are linked — perhaps a shared company phone or e-mail")
            }
        },
        Warning::Cut(TooLong { field, chars }) => {
            let (name, limit) = (field_name(lang, *field), field.max_chars());
            match lang {
                Lang::Ru => {
                    format!("{name} длиннее {limit} символов ({chars}) — обрезано до {limit}")
                }
                Lang::En => {
                    format!("{name} is longer than {limit} characters ({chars}) — cut to {limit}")
                }
            }
        }
        Warning::SharedContact { contact } => match lang {
            Lang::Ru => format!(
                "{contact} встречается в строках с разными именами — возможно, это общий \
                 телефон или e-mail компании, и он свяжет разных людей в одного"
            ),
            Lang::En => format!(
                "{contact} is on rows with different names — perhaps a shared company phone or \
                 e-mail, which links different people into one"
            ),
        },
        Warning::CellsBeyondHeader => lang.pick(
            "в строке больше ячеек, чем в заголовке — лишние оставлены как есть",
            "the row has more cells than the header — the extra ones are kept as they are",
        ),
        Warning::Target(said) => said_text(lang, said),
        Warning::EmailTypo {
            address,
            suggestion,
        } => match lang {
            Lang::Ru => format!(
                "похоже, опечатка в домене e-mail {address}: может быть, {suggestion}? \
                 Загружен как написан"
            ),
            Lang::En => format!(
                "the e-mail {address} looks like a typo in its domain: perhaps {suggestion}? \
                 It is loaded as written"
            ),
        },
        Warning::EmailTrailingDot { address } => match lang {
            Lang::Ru => format!("точка в конце e-mail убрана: {address}"),
            Lang::En => format!("the dot at the end of the e-mail was dropped: {address}"),
        },
        Warning::PhoneUnwrapped(unwrapped) => {
            let removed = &unwrapped.removed;
            match lang {
                Lang::Ru => format!("«{removed}» вокруг номера убрано"),
                Lang::En => format!("“{removed}” around the number was taken off"),
            }
        }
    }
}
