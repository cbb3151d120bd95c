//! Writes a large, realistic contact list for benchmarks (`docs/performance.md`).
//!
//! ```text
//! cargo run --release --example generate -- ROWS OUT.csv [--seed N] [--worse]
//! ```
//!
//! The file is UTF-8 with the header `Контакт,Имя,Комментарий,Теги`: the contact is the
//! first column, so `shared/bench/py_baseline.py` (which reads column 0) sees it too. The
//! same `ROWS` and `--seed` always give the same bytes. Roughly:
//!
//! - 1% empty rows (half `,,,`, half blank lines);
//! - 5% invalid contacts: letters typed into a number, too few digits, a number outside any
//!   range, a broken e-mail;
//! - 10% repeats of an earlier contact, written another way (another phone format, the
//!   e-mail in another case);
//! - the rest new contacts: about 3 phones to 1 e-mail, so that phones are ~70% of all rows
//!   and e-mails ~20%. Phones are mostly mobile (`9xx`) in seven formats, some `8 800`
//!   toll-free and city (`812`, `495`) numbers;
//! - a Russian name on almost every row, a comment on half, one or two tags on most (cells
//!   with a comma or a quote are quoted).
//!
//! `--worse` writes a list in worse shape, the second file of `docs/performance.md`: 3%
//! empty rows, 10% invalid contacts, 30% repeats, a tenth of the names 200–300 characters
//! (a name with its company and post run together; some are over the 255 a name may have,
//! and cut with a warning), 80% of e-mails in mixed case and 30% with stray spaces, repeats
//! included. Without it the output is what it always was for the same seed.
//!
//! Standard library only; a splitmix64 generator stands in for `rand`.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

/// splitmix64: tiny, fast and good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.index(items.len())]
    }

    /// True with probability `per_mille / 1000`. Draws nothing for 0, so that a shape
    /// without a feature leaves every other draw as it was.
    fn chance(&mut self, per_mille: u64) -> bool {
        per_mille > 0 && self.below(1000) < per_mille
    }
}

const MALE: &[&str] = &[
    "Александр",
    "Алексей",
    "Андрей",
    "Антон",
    "Артём",
    "Борис",
    "Вадим",
    "Виктор",
    "Владимир",
    "Дмитрий",
    "Евгений",
    "Егор",
    "Иван",
    "Игорь",
    "Илья",
    "Кирилл",
    "Константин",
    "Максим",
    "Михаил",
    "Никита",
    "Николай",
    "Олег",
    "Павел",
    "Роман",
    "Сергей",
    "Степан",
    "Фёдор",
    "Юрий",
];

const FEMALE: &[&str] = &[
    "Алина",
    "Алёна",
    "Анастасия",
    "Анна",
    "Валентина",
    "Вера",
    "Виктория",
    "Галина",
    "Дарья",
    "Евгения",
    "Екатерина",
    "Елена",
    "Ирина",
    "Ксения",
    "Лариса",
    "Любовь",
    "Марина",
    "Мария",
    "Наталья",
    "Ольга",
    "Полина",
    "Светлана",
    "Татьяна",
    "Юлия",
];

/// Surnames in the masculine form; the feminine adds `а`.
const SURNAMES: &[&str] = &[
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
    "Зайцев",
    "Соловьёв",
    "Борисов",
    "Яковлев",
    "Григорьев",
];

const PATRONYMICS_MALE: &[&str] = &[
    "Иванович",
    "Петрович",
    "Сергеевич",
    "Александрович",
    "Андреевич",
    "Викторович",
];

const PATRONYMICS_FEMALE: &[&str] = &[
    "Ивановна",
    "Петровна",
    "Сергеевна",
    "Александровна",
    "Андреевна",
    "Викторовна",
];

/// Latin spellings for the local part of e-mail addresses.
const LATIN_FIRST: &[&str] = &[
    "ivan", "anna", "sergey", "olga", "dmitry", "elena", "maxim", "irina", "pavel", "maria",
    "alexey", "natalia", "igor", "tatiana", "nikita", "yulia", "roman", "svetlana", "oleg",
    "ksenia",
];

const LATIN_LAST: &[&str] = &[
    "ivanov",
    "smirnov",
    "kuznetsov",
    "popov",
    "vasiliev",
    "petrov",
    "sokolov",
    "mikhailov",
    "novikov",
    "fedorov",
    "morozov",
    "volkov",
    "lebedev",
    "egorov",
    "pavlov",
    "kozlov",
    "orlov",
    "makarov",
    "zakharov",
    "zaitsev",
];

const DOMAINS: &[&str] = &[
    "mail.ru",
    "mail.ru",
    "mail.ru",
    "yandex.ru",
    "yandex.ru",
    "ya.ru",
    "gmail.com",
    "gmail.com",
    "bk.ru",
    "inbox.ru",
    "list.ru",
    "rambler.ru",
    "outlook.com",
    "romashka-trade.ru",
    "stroymarket.com",
];

const COMMENTS: &[&str] = &[
    "Перезвонить после 18:00",
    "Клиент с выставки",
    "Просил не звонить, только мессенджеры",
    "Постоянный покупатель",
    "Интересовался оптом",
    "Оставил заявку на сайте",
    "Скидка 10%",
    "Звонить в рабочее время, с 10 до 19",
    "Пришёл по рекомендации, от Анны",
    "Заказ №4815 не забрал",
    "Хочет каталог \"Весна-лето\"",
    "Менеджер: Ольга",
    "Был на вебинаре в марте",
    "Уточнить адрес доставки",
    "Старый номер, проверить",
    "Бухгалтерия; счёт на оплату",
    "VIP, личный менеджер",
    "Не дозвонились 2 раза",
];

const TAGS: &[&str] = &[
    "vip",
    "VIP",
    "вебинар",
    "новый",
    "опт",
    "розница",
    "Москва",
    "СПб",
    "рассылка",
    "партнёр",
    "выставка",
    "b2b",
    "сайт",
    "повторный",
];

/// A contact that may be repeated later, in another format.
enum Earlier {
    /// The ten national digits and the format they were first written in.
    Phone { national: u64, format: u8 },
    /// Index into `Generator::emails` (lower-case address) and whether it was written
    /// lower-case.
    Email { index: u32, lower: bool },
}

const PHONE_FORMATS: u8 = 7;

/// What a list is made of, per mille. A row draws `r` in `0..1000`: below `empty` it is
/// empty, then invalid up to `invalid`, a repeat up to `repeat`, a new phone up to 800 and
/// a new e-mail above.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    empty: u64,
    invalid: u64,
    repeat: u64,
    /// New e-mails written in lower case.
    lower_email: u64,
    /// E-mails with stray spaces around them, new ones; and repeats, with `spaced_repeat`.
    spaced_email: u64,
    spaced_repeat: u64,
    /// Names of 200–300 characters instead of two or three words.
    long_names: u64,
}

impl Shape {
    /// The project's benchmark list.
    pub(crate) const USUAL: Shape = Shape {
        empty: 10,
        invalid: 60,
        repeat: 160,
        lower_email: 600,
        spaced_email: 20,
        spaced_repeat: 0,
        long_names: 0,
    };

    /// A list in worse shape (`--worse`).
    pub(crate) const WORSE: Shape = Shape {
        empty: 30,
        invalid: 130,
        repeat: 430,
        lower_email: 200,
        spaced_email: 300,
        spaced_repeat: 300,
        long_names: 100,
    };
}

/// What a long name is made of after the person's own name: the company and post people
/// type into the name column when the list has no column for them.
const NAME_TAILS: &[&str] = &[
    "генеральный директор",
    "менеджер по закупкам",
    "главный бухгалтер",
    "ООО «Северная торговая компания»",
    "АО «Уральский завод металлоконструкций»",
    "ИП",
    "отдел продаж",
    "филиал в Санкт-Петербурге",
    "представительство в Нижнем Новгороде",
    "по вопросам поставок и оплаты",
    "контактное лицо",
    "звонить после 14:00",
    "(с 2019 года)",
    "региональный представитель, Екатеринбург",
    "заместитель начальника отдела логистики",
];

struct Generator {
    rng: Rng,
    shape: Shape,
    earlier: Vec<Earlier>,
    emails: Vec<Box<str>>,
    counts: Counts,
}

/// What was written, by kind.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    pub phones: u64,
    pub emails: u64,
    pub invalid: u64,
    pub repeats: u64,
    pub empty: u64,
}

/// Appends `digits` (from `from` to `to`, counted from the left of a 10-digit national
/// number) to `out`.
fn push_digits(out: &mut String, national: u64, from: u32, to: u32) {
    for i in from..to {
        let d = (national / 10u64.pow(9 - i)) % 10;
        out.push(char::from(b'0' + d as u8));
    }
}

/// Writes a 10-digit national number (`9991234567`) in one of the formats people use.
fn write_phone(out: &mut String, national: u64, format: u8) {
    let d = |out: &mut String, a, b| push_digits(out, national, a, b);
    match format {
        // 8 (999) 123-45-67, +7 (999) 123-45-67
        0 | 4 => {
            out.push_str(if format == 0 { "8 (" } else { "+7 (" });
            d(out, 0, 3);
            out.push_str(") ");
            d(out, 3, 6);
            out.push('-');
            d(out, 6, 8);
            out.push('-');
            d(out, 8, 10);
        }
        // +7 999 1234567
        1 => {
            out.push_str("+7 ");
            d(out, 0, 3);
            out.push(' ');
            d(out, 3, 10);
        }
        // 89991234567
        2 => {
            out.push('8');
            d(out, 0, 10);
        }
        // 9991234567
        3 => d(out, 0, 10),
        // +79991234567
        5 => {
            out.push_str("+7");
            d(out, 0, 10);
        }
        // 8-999-123-45-67
        _ => {
            out.push_str("8-");
            d(out, 0, 3);
            out.push('-');
            d(out, 3, 6);
            out.push('-');
            d(out, 6, 8);
            out.push('-');
            d(out, 8, 10);
        }
    }
}

/// Writes a cell, quoted if it holds a comma, a quote or a line break.
fn push_cell(out: &mut String, cell: &str) {
    if cell.contains([',', '"', '\n', '\r']) {
        out.push('"');
        for c in cell.chars() {
            if c == '"' {
                out.push('"');
            }
            out.push(c);
        }
        out.push('"');
    } else {
        out.push_str(cell);
    }
}

impl Generator {
    fn new(seed: u64, rows: usize, shape: Shape) -> Generator {
        Generator {
            rng: Rng(seed),
            shape,
            earlier: Vec::with_capacity(rows),
            emails: Vec::new(),
            counts: Counts::default(),
        }
    }

    fn new_national(&mut self) -> u64 {
        let r = self.rng.below(100);
        if r < 88 {
            // Mobile: 9xx xxx xx xx.
            9_000_000_000 + self.rng.below(1_000_000_000)
        } else if r < 93 {
            // Toll-free: 800 xxx xx xx.
            8_000_000_000 + self.rng.below(10_000_000)
        } else if r < 97 {
            // St Petersburg: 812 xxx xx xx (first subscriber digit 1..9).
            8_121_000_000 + self.rng.below(9_000_000)
        } else {
            // Moscow: 495 xxx xx xx.
            4_951_000_000 + self.rng.below(9_000_000)
        }
    }

    fn new_phone(&mut self, cell: &mut String) {
        let national = self.new_national();
        // Numbers without a trunk prefix (format 3) are almost always mobile.
        let mut format = self.rng.below(u64::from(PHONE_FORMATS)) as u8;
        if format == 3 && national < 9_000_000_000 {
            format = 0;
        }
        if self.rng.chance(10) {
            // Google Sheets users type a leading apostrophe to keep the `+`.
            cell.push('\'');
        }
        write_phone(cell, national, format);
        self.earlier.push(Earlier::Phone { national, format });
        self.counts.phones += 1;
    }

    fn new_email(&mut self, cell: &mut String) {
        let first = self.rng.pick(LATIN_FIRST);
        let last = self.rng.pick(LATIN_LAST);
        let domain = self.rng.pick(DOMAINS);
        let mut address = String::with_capacity(32);
        match self.rng.below(5) {
            0 => write!(address, "{first}.{last}").unwrap(),
            1 => write!(address, "{first}_{last}{}", 1960 + self.rng.below(50)).unwrap(),
            2 => write!(address, "{}{last}", &first[..1]).unwrap(),
            3 => write!(address, "{last}.{first}").unwrap(),
            _ => write!(address, "{first}{}", self.rng.below(100_000)).unwrap(),
        }
        // Keep most addresses distinct: a number people add when the name is taken.
        if self.rng.chance(700) {
            write!(address, "{}", self.rng.below(10_000)).unwrap();
        }
        address.push('@');
        address.push_str(domain);
        let lower = self.rng.chance(self.shape.lower_email);
        if lower {
            cell.push_str(&address);
        } else {
            push_mixed_case(cell, &address, self.rng.below(3));
        }
        if self.rng.chance(self.shape.spaced_email) {
            // Stray spaces from copy-paste.
            cell.insert(0, ' ');
            cell.push(' ');
        }
        let index = u32::try_from(self.emails.len()).expect("fewer than 2^32 e-mails");
        self.emails.push(address.into());
        self.earlier.push(Earlier::Email { index, lower });
        self.counts.emails += 1;
    }

    /// An earlier contact again, written differently. `false` if there is none yet.
    fn repeat(&mut self, cell: &mut String) -> bool {
        if self.earlier.is_empty() {
            return false;
        }
        let i = self.rng.index(self.earlier.len());
        match self.earlier[i] {
            Earlier::Phone { national, format } => {
                let mut other = self.rng.below(u64::from(PHONE_FORMATS) - 1) as u8;
                if other >= format {
                    other += 1;
                }
                if other == 3 && national < 9_000_000_000 {
                    other = if format == 0 { 1 } else { 0 };
                }
                write_phone(cell, national, other);
            }
            Earlier::Email { index, lower } => {
                let address = &self.emails[index as usize];
                if lower {
                    let style = self.rng.below(3);
                    push_mixed_case(cell, address, style);
                } else {
                    cell.push_str(address);
                }
                if self.rng.chance(self.shape.spaced_repeat) {
                    cell.insert(0, ' ');
                    cell.push(' ');
                }
            }
        }
        self.counts.repeats += 1;
        true
    }

    fn invalid(&mut self, cell: &mut String) {
        match self.rng.below(8) {
            // A Cyrillic letter typed for a digit: З for 3, О for 0, Ч for 4.
            0 | 1 => {
                let national = 9_000_000_000 + self.rng.below(1_000_000_000);
                let mut phone = String::with_capacity(20);
                write_phone(&mut phone, national, 0);
                let at = 4 + self.rng.index(phone.len() - 4);
                let letter = self.rng.pick(&["З", "О", "Ч", "б"]);
                // The byte at `at` is ASCII: every character of format 0 is.
                cell.push_str(&phone[..at]);
                cell.push_str(letter);
                cell.push_str(&phone[at + 1..]);
            }
            // Too few digits.
            2 => write!(
                cell,
                "{}-{:02}-{:02}",
                self.rng.below(1000),
                self.rng.below(100),
                self.rng.below(100)
            )
            .unwrap(),
            // One digit missing.
            3 => {
                let national = 9_000_000_000 + self.rng.below(1_000_000_000);
                let mut phone = String::with_capacity(12);
                write_phone(&mut phone, national, 2);
                phone.pop();
                cell.push_str(&phone);
            }
            // Outside any Russian number range.
            4 => write!(
                cell,
                "+7 (0{:02}) {:03}-{:02}-{:02}",
                self.rng.below(100),
                self.rng.below(1000),
                self.rng.below(100),
                self.rng.below(100)
            )
            .unwrap(),
            // E-mail without a top-level domain.
            5 => write!(
                cell,
                "{}@{}",
                self.rng.pick(LATIN_FIRST),
                self.rng.pick(&["mail", "yandex", "gmail"])
            )
            .unwrap(),
            // Two dots, or a dot at the end of the local part.
            6 => {
                let first = self.rng.pick(LATIN_FIRST);
                let last = self.rng.pick(LATIN_LAST);
                if self.rng.chance(500) {
                    write!(cell, "{first}..{last}@mail.ru").unwrap();
                } else {
                    write!(cell, "{first}.@yandex.ru").unwrap();
                }
            }
            // A name typed into the contact column.
            _ => cell.push_str(self.rng.pick(SURNAMES)),
        }
        self.counts.invalid += 1;
    }

    fn name(&mut self, out: &mut String) {
        if self.rng.chance(self.shape.long_names) {
            return self.long_name(out);
        }
        let female = self.rng.chance(500);
        let first = if female {
            self.rng.pick(FEMALE)
        } else {
            self.rng.pick(MALE)
        };
        let last = self.rng.pick(SURNAMES);
        let suffix = if female { "а" } else { "" };
        match self.rng.below(10) {
            0..=5 => write!(out, "{first} {last}{suffix}").unwrap(),
            6 | 7 => {
                let patronymic = if female {
                    self.rng.pick(PATRONYMICS_FEMALE)
                } else {
                    self.rng.pick(PATRONYMICS_MALE)
                };
                write!(out, "{last}{suffix} {first} {patronymic}").unwrap();
            }
            8 => out.push_str(first),
            _ => {}
        }
    }

    /// A full name, then company and post: at least 200 characters, under 300 (the longest
    /// tail added after 254 ends before 300).
    fn long_name(&mut self, out: &mut String) {
        let female = self.rng.chance(500);
        let (first, patronymic, suffix) = if female {
            (
                self.rng.pick(FEMALE),
                self.rng.pick(PATRONYMICS_FEMALE),
                "а",
            )
        } else {
            (self.rng.pick(MALE), self.rng.pick(PATRONYMICS_MALE), "")
        };
        let last = self.rng.pick(SURNAMES);
        let start = out.len();
        write!(out, "{last}{suffix} {first} {patronymic}").unwrap();
        let at_least = 200 + self.rng.index(55);
        while out[start..].chars().count() < at_least {
            out.push_str(if self.rng.chance(300) { ", " } else { " " });
            out.push_str(self.rng.pick(NAME_TAILS));
        }
    }

    fn tags(&mut self, out: &mut String) {
        match self.rng.below(10) {
            0 | 1 => {}
            2..=6 => out.push_str(self.rng.pick(TAGS)),
            _ => {
                let a = self.rng.pick(TAGS);
                let b = self.rng.pick(TAGS);
                write!(out, "{a}, {b}").unwrap();
            }
        }
    }

    /// Appends one data row (with its line end) to `line`.
    fn row(&mut self, line: &mut String, cell: &mut String) {
        let r = self.rng.below(1000);
        let shape = self.shape;
        if r < shape.empty {
            self.counts.empty += 1;
            if r < shape.empty / 2 {
                line.push_str(",,,");
            }
            line.push_str("\r\n");
            return;
        }
        cell.clear();
        if r < shape.invalid {
            self.invalid(cell);
        } else if (shape.repeat..800).contains(&r) || (r < shape.repeat && !self.repeat(cell)) {
            self.new_phone(cell);
        } else if r >= 800 {
            self.new_email(cell);
        }
        push_cell(line, cell);
        line.push(',');
        cell.clear();
        self.name(cell);
        push_cell(line, cell);
        line.push(',');
        if self.rng.chance(500) {
            cell.clear();
            cell.push_str(self.rng.pick(COMMENTS));
            if self.rng.chance(20) {
                // A second paragraph: a quoted cell with a line break.
                cell.push('\n');
                cell.push_str(self.rng.pick(COMMENTS));
            }
            push_cell(line, cell);
        }
        line.push(',');
        cell.clear();
        self.tags(cell);
        push_cell(line, cell);
        line.push_str("\r\n");
    }
}

/// Writes `address` with some capitals: `Ivan.Petrov@Mail.ru`, `IVAN.PETROV@MAIL.RU` or
/// `ivan.petrov@Mail.RU`.
fn push_mixed_case(out: &mut String, address: &str, style: u64) {
    match style {
        0 => {
            let mut capital = true;
            for c in address.chars() {
                out.push(if capital { c.to_ascii_uppercase() } else { c });
                capital = matches!(c, '.' | '_' | '@');
            }
        }
        1 => out.push_str(&address.to_ascii_uppercase()),
        _ => {
            let at = address.find('@').unwrap_or(address.len());
            out.push_str(&address[..at]);
            out.push_str(&address[at..].to_ascii_uppercase());
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: generate ROWS OUT.csv [--seed N] [--worse]");
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut positional = Vec::new();
    let mut seed: u64 = 42;
    let mut shape = Shape::USUAL;
    let mut i = 0;
    while i < args.len() {
        if args[i] == "--worse" {
            shape = Shape::WORSE;
            i += 1;
        } else if args[i] == "--seed" {
            let Some(value) = args.get(i + 1).and_then(|s| s.parse().ok()) else {
                return usage();
            };
            seed = value;
            i += 2;
        } else {
            positional.push(args[i].as_str());
            i += 1;
        }
    }
    let [rows, out] = positional[..] else {
        return usage();
    };
    let Ok(rows) = rows.replace('_', "").parse::<usize>() else {
        return usage();
    };
    match generate(rows, out, seed, shape) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("generate: {out}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn generate(rows: usize, path: &str, seed: u64, shape: Shape) -> io::Result<()> {
    let started = Instant::now();
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let c = write_rows(rows, seed, shape, &mut out)?;
    out.flush()?;
    eprintln!(
        "generate: {rows} rows to {path} in {:.2?} (seed {seed}): {} new phones, {} new \
         e-mails, {} repeats, {} invalid, {} empty",
        started.elapsed(),
        c.phones,
        c.emails,
        c.repeats,
        c.invalid,
        c.empty
    );
    Ok(())
}

/// Writes the header and `rows` data rows. `benches/parsers.rs` includes this file to build
/// its in-memory list the same way.
pub(crate) fn write_rows(
    rows: usize,
    seed: u64,
    shape: Shape,
    out: &mut impl Write,
) -> io::Result<Counts> {
    let mut generator = Generator::new(seed, rows, shape);
    let mut line = String::with_capacity(1 << 16);
    let mut cell = String::with_capacity(256);
    line.push_str("Контакт,Имя,Комментарий,Теги\r\n");
    for _ in 0..rows {
        generator.row(&mut line, &mut cell);
        if line.len() > 60_000 {
            out.write_all(line.as_bytes())?;
            line.clear();
        }
    }
    out.write_all(line.as_bytes())?;
    Ok(generator.counts)
}
