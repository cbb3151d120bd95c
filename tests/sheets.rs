//! Google Sheets I/O against the fake Sheets API on loopback: real cell state, real HTTP.

mod support;

/// One module, so `cargo test --test sheets --lib sheets` selects these too.
mod sheets {
    use std::time::Duration;

    use crate::support::fake_sheets::{FakeSheets, FakeStats};
    use contact_loader::sheets::{
        READ_BLOCK_CELLS, Sheets, SheetsError, StatusColumns, StatusWriter,
    };
    use secrecy::SecretString;
    use tokio::time::Instant;

    const TOKEN: &str = "ya29.a0-very-secret-oauth-token";
    const BOOK: &str = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms";
    /// Spaces, Cyrillic, a quote, `#`, `?` and `/`, all in one name.
    const AWKWARD: &str = "Лист 1 — it's #2? a/b";

    fn sheets(fake: &FakeSheets, token: &str) -> Sheets {
        Sheets::new(
            &fake.url(),
            SecretString::from(token),
            Duration::from_secs(5),
        )
        .unwrap()
    }

    fn strings(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
            .collect()
    }

    /// Every way an error reaches a person or a log.
    fn assert_no_token(error: &SheetsError, token: &str) {
        let shown = format!("{error} / {error:?}");
        assert!(!shown.contains(token), "the token leaked: {shown}");
    }

    #[tokio::test]
    async fn a_sheet_with_an_awkward_name_reads_back_ragged() {
        let fake = FakeSheets::start(TOKEN).await.unwrap();
        fake.set_cells(
            BOOK,
            AWKWARD,
            [
                vec!["Телефон", "Имя", ""],
                vec!["", "", ""],
                vec!["+79001234567", "Анна"],
                vec!["", "", "x", "", ""],
                vec!["", ""],
                vec![],
            ],
        );
        fake.set_cells(BOOK, "Лист 1", [["other sheet"]]);
        let values = sheets(&fake, TOKEN).values(BOOK, AWKWARD).await.unwrap();
        assert_eq!(
            values,
            strings(&[
                &["Телефон", "Имя"],
                &[],
                &["+79001234567", "Анна"],
                &["", "", "x"]
            ])
        );
        assert_eq!(fake.stats().reads, 1);
    }

    #[tokio::test]
    async fn an_empty_sheet_has_no_rows_and_a_missing_one_is_not_found() {
        let fake = FakeSheets::start(TOKEN).await.unwrap();
        fake.set_cells(BOOK, "Empty", Vec::<Vec<String>>::new());
        let client = sheets(&fake, TOKEN);
        assert!(client.values(BOOK, "Empty").await.unwrap().is_empty());
        let error = client.values(BOOK, "No such sheet").await.unwrap_err();
        assert!(matches!(error, SheetsError::NotFound(_)), "{error:?}");
        let error = client.values("no-such-book", "Empty").await.unwrap_err();
        assert!(matches!(error, SheetsError::NotFound(_)), "{error:?}");
    }

    /// Every character a range in a query string can trip on: `#`, `?`, `/`, `&`, `=`, quotes,
    /// spaces and Cyrillic.
    const AWKWARDER: &str = "Q#1?/a&b='x' Лист";

    /// Requests the fake saw between `before` and now: (metadata, reads, all).
    fn calls(fake: &FakeSheets, before: &FakeStats) -> (u64, u64, u64) {
        let now = fake.stats();
        (
            now.metadata - before.metadata,
            now.reads - before.reads,
            now.total - before.total,
        )
    }

    #[tokio::test]
    async fn a_large_sheet_reads_back_in_two_calls_as_values_has_it() {
        let fake = FakeSheets::start(TOKEN).await.unwrap();
        // 25,000 rows and some empty grid rows under them: three blocks, one batchGet.
        // Rows 9,995..=20,003 are empty: the end of the first block, all of the second and
        // the start of the third, so the stitching must pad across a block that came back
        // with no `values` at all.
        let cells: Vec<Vec<String>> = (1..=25_010u32)
            .map(|r| match r {
                9_995..=20_003 | 25_001.. => vec![String::new(); (r % 3) as usize],
                _ if r % 97 == 0 => Vec::new(),
                _ => (0..=(r % 26))
                    .map(|c| match (r + c) % 7 {
                        0 => String::new(),
                        _ => format!("{r}:{c} «{AWKWARDER}»"),
                    })
                    .collect(),
            })
            .collect();
        fake.set_cells(BOOK, AWKWARDER, cells);
        fake.set_cells(BOOK, "Лист", [["another sheet"]]);
        let client = sheets(&fake, TOKEN);

        let before = fake.stats();
        let read = client.read_sheet(BOOK, AWKWARDER).await.unwrap();
        assert_eq!(calls(&fake, &before), (1, 1, 2), "metadata + one batchGet");

        let expected = fake.cells(BOOK, AWKWARDER).unwrap();
        assert_eq!(expected.len(), 25_000);
        assert!(expected[9_993].len() > 1 && expected[20_003].len() > 1);
        assert!(expected[9_994..20_003].iter().all(Vec::is_empty));
        assert_eq!(read.len(), expected.len());
        assert!(read == expected, "read_sheet differs from the cells set");
        assert!(read == client.values(BOOK, AWKWARDER).await.unwrap());
    }

    #[tokio::test]
    async fn without_metadata_the_sheet_is_read_in_one_call() {
        let fake = FakeSheets::start(TOKEN).await.unwrap();
        let cells: Vec<Vec<String>> = (1..=300u32)
            .map(|r| vec![format!("{r}"), format!("«{AWKWARDER}» {r}")])
            .collect();
        fake.set_cells(BOOK, AWKWARDER, cells);
        fake.serve_only_values();
        let client = sheets(&fake, TOKEN);
        let before = fake.stats();
        let read = client.read_sheet(BOOK, AWKWARDER).await.unwrap();
        assert_eq!(read, fake.cells(BOOK, AWKWARDER).unwrap());
        // The refused metadata request, then one values read.
        assert_eq!(calls(&fake, &before), (0, 1, 2));
        // A sheet that is not there is still not found, by the values read.
        let error = client.read_sheet(BOOK, "Нет такого").await.unwrap_err();
        assert!(matches!(error, SheetsError::NotFound(_)), "{error:?}");
    }

    #[tokio::test]
    async fn a_sheet_of_120_001_rows_takes_one_plus_three_calls() {
        let fake = FakeSheets::start(TOKEN).await.unwrap();
        let rows = 120_001u32;
        fake.set_cells(BOOK, AWKWARD, (1..=rows).map(|r| [r.to_string()]));
        let client = sheets(&fake, TOKEN);
        let before = fake.stats();
        let read = client.read_sheet(BOOK, AWKWARD).await.unwrap();
        // 13 blocks of 10,000 rows, 5 to a batchGet.
        assert_eq!(calls(&fake, &before), (1, 3, 4));
        assert_eq!(read.len(), rows as usize);
        assert!(read.iter().zip(1..).all(|(row, r)| row == &[r.to_string()]));
    }

    #[tokio::test]
    async fn a_wide_sheet_is_read_in_shorter_blocks() {
        let fake = FakeSheets::start(TOKEN).await.unwrap();
        // 2,600 columns: 100 rows make a block of READ_BLOCK_CELLS, so the default 1,000
        // rows are 10 blocks in 2 batchGets.
        let width = 2_600;
        assert_eq!(READ_BLOCK_CELLS, 100 * width as u64);
        // A 1,000-row grid: a full header, blank rows of blank cells, a last row reaching
        // the last column, then blank rows to the grid's end.
        let mut cells = vec![(1..=width).map(|c| format!("h{c}")).collect::<Vec<_>>()];
        cells.extend((2..450).map(|r| vec![String::new(); (r % 4) * 600]));
        let mut last = vec![String::new(); width - 1];
        last.push("last".to_owned());
        cells.push(last);
        cells.resize(1_000, vec![String::new()]);
        fake.set_cells(BOOK, "Wide", cells);
        let client = sheets(&fake, TOKEN);
        let before = fake.stats();
        let read = client.read_sheet(BOOK, "Wide").await.unwrap();
        assert_eq!(calls(&fake, &before), (1, 2, 3));
        assert_eq!(read.len(), 450);
        assert_eq!(read[0].len(), width);
        assert_eq!(read[449].len(), width);
        assert_eq!(read[449][width - 1], "last");
        assert!(read[1..449].iter().all(Vec::is_empty));
        assert!(read == client.values(BOOK, "Wide").await.unwrap());
    }

    #[tokio::test]
    async fn read_sheet_finds_no_missing_sheet_and_no_rows_in_an_empty_one() {
        let fake = FakeSheets::start(TOKEN).await.unwrap();
        fake.set_cells(BOOK, "Empty", Vec::<Vec<String>>::new());
        fake.set_cells(BOOK, "Blank", [["", ""], [""; 2]]);
        let client = sheets(&fake, TOKEN);

        let before = fake.stats();
        assert!(client.read_sheet(BOOK, "Empty").await.unwrap().is_empty());
        assert!(client.read_sheet(BOOK, "Blank").await.unwrap().is_empty());
        // An empty sheet still has a 1000-row grid to look at.
        assert_eq!(calls(&fake, &before), (2, 2, 4));

        let before = fake.stats();
        let error = client.read_sheet(BOOK, AWKWARDER).await.unwrap_err();
        let SheetsError::NotFound(message) = &error else {
            panic!("{error:?}");
        };
        assert!(message.contains(AWKWARDER), "{message}");
        assert_eq!(
            calls(&fake, &before),
            (1, 0, 1),
            "no read after the metadata"
        );

        let error = client
            .read_sheet("no-such-book", "Empty")
            .await
            .unwrap_err();
        assert!(matches!(error, SheetsError::NotFound(_)), "{error:?}");
    }

    #[tokio::test]
    async fn read_sheet_is_refused_as_values_is() {
        let fake = FakeSheets::start(TOKEN).await.unwrap();
        fake.set_cells(BOOK, "S", [["a"]]);
        let client = sheets(&fake, TOKEN);
        let error = sheets(&fake, "wrong")
            .read_sheet(BOOK, "S")
            .await
            .unwrap_err();
        assert!(matches!(error, SheetsError::Unauthorized(_)), "{error:?}");
        assert_no_token(&error, "wrong");
        // A rate limit on the metadata ends the read there, to be retried whole.
        fake.rate_limit_next(1);
        let error = client.read_sheet(BOOK, "S").await.unwrap_err();
        assert!(
            matches!(error, SheetsError::RateLimited { .. }),
            "{error:?}"
        );
        assert_no_token(&error, TOKEN);
        assert_eq!((fake.stats().metadata, fake.stats().reads), (0, 0));
        assert_eq!(client.read_sheet(BOOK, "S").await.unwrap(), [["a"]]);
    }

    /// The fake's batchGet as Google's: one ValueRange per range in order, `values` left
    /// out of an empty one, and one unknown sheet failing the whole request with a 400.
    #[tokio::test]
    async fn the_fake_answers_batch_get_as_google_does() {
        let fake = FakeSheets::start(TOKEN).await.unwrap();
        fake.set_cells(
            BOOK,
            AWKWARDER,
            [vec!["a", "b", "c"], vec![], vec!["", "e"]],
        );
        let http = reqwest::Client::new();
        let get = |ranges: &[&str]| {
            let query: Vec<_> = ranges.iter().map(|r| ("ranges", *r)).collect();
            http.get(format!(
                "{}/v4/spreadsheets/{BOOK}/values:batchGet",
                fake.url()
            ))
            .query(&query)
            .bearer_auth(TOKEN)
            .send()
        };
        let quoted = contact_loader::sheets::a1::quote_sheet(AWKWARDER);
        let answer = get(&[&format!("{quoted}!B1:C2"), &format!("{quoted}!A2:A9")])
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        let body: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(
            body,
            serde_json::json!({"spreadsheetId": BOOK, "valueRanges": [
                {"range": format!("{quoted}!B1:C2"), "majorDimension": "ROWS",
                 "values": [["b", "c"]]},
                {"range": format!("{quoted}!A2:A9"), "majorDimension": "ROWS"},
            ]})
        );
        let answer = get(&[&format!("{quoted}!A1:B2"), "'Nope'!A1:B2"])
            .await
            .unwrap();
        assert_eq!(answer.status(), 400);
        let body: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(
            body["error"]["message"],
            "Unable to parse range: 'Nope'!A1:B2"
        );
        assert_eq!(fake.stats().reads, 1);
    }

    #[tokio::test]
    async fn a_formula_written_stays_text() {
        let fake = FakeSheets::start(TOKEN).await.unwrap();
        fake.set_cells(BOOK, AWKWARD, [["Name"]]);
        let client = sheets(&fake, TOKEN);
        let formula = r#"=HYPERLINK("x")"#;
        let range = format!("{}!A2", contact_loader::sheets::a1::quote_sheet(AWKWARD));
        let updated = client
            .batch_update(BOOK, &[(range, strings(&[&[formula]]))])
            .await
            .unwrap();
        assert_eq!(updated.total_updated_cells, 1);
        assert_eq!(
            client.values(BOOK, AWKWARD).await.unwrap()[1],
            vec![formula]
        );
        let writes = fake.writes();
        assert_eq!(writes.len(), 1);
        assert_eq!(writes[0].value_input_option, "RAW");
    }

    #[tokio::test]
    async fn missing_status_columns_are_created_at_the_end_of_the_header() {
        let fake = FakeSheets::start(TOKEN).await.unwrap();
        fake.set_cells(
            BOOK,
            AWKWARD,
            [vec!["Телефон", "Имя", ""], vec!["+79001234567", "Анна", ""]],
        );
        let client = sheets(&fake, TOKEN);
        let header = client.values(BOOK, AWKWARD).await.unwrap().remove(0);
        let columns = StatusColumns::find(&header);
        assert_eq!((columns.status, columns.client_id), (3, 4));
        let mut writer = StatusWriter::new(client, BOOK, AWKWARD, columns)
            .with_min_interval(Duration::from_millis(5));
        writer.push(2, "Создан", Some("1001"));
        writer.flush().await.unwrap();
        assert_eq!(
            fake.cells(BOOK, AWKWARD).unwrap(),
            strings(&[
                &["Телефон", "Имя", "Статус", "ID клиента"],
                &["+79001234567", "Анна", "Создан", "1001"],
            ])
        );
        // The header cells went with the first batch: one request in all.
        assert_eq!(fake.stats().writes, 1);
    }

    #[tokio::test]
    async fn existing_status_columns_are_found_by_name() {
        let fake = FakeSheets::start(TOKEN).await.unwrap();
        fake.set_cells(
            BOOK,
            "Contacts",
            [
                vec![" status ", "Phone", "CLIENT ID", "Notes"],
                vec!["old", "+79001234567", "7", "keep"],
                vec!["", "+79001234568", "", "keep too"],
            ],
        );
        let client = sheets(&fake, TOKEN);
        let header = client.values(BOOK, "Contacts").await.unwrap().remove(0);
        let columns = StatusColumns::find(&header);
        assert_eq!(
            (columns.status, columns.client_id, columns.complete()),
            (1, 3, true)
        );
        let mut writer = StatusWriter::new(client, BOOK, "Contacts", columns)
            .with_min_interval(Duration::from_millis(5));
        writer.push(2, "Updated", Some("7"));
        writer.push(3, "Failed: bad phone", None);
        writer.flush().await.unwrap();
        assert_eq!(
            fake.cells(BOOK, "Contacts").unwrap(),
            strings(&[
                &[" status ", "Phone", "CLIENT ID", "Notes"],
                &["Updated", "+79001234567", "7", "keep"],
                &["Failed: bad phone", "+79001234568", "", "keep too"],
            ])
        );

        let russian = StatusColumns::find(&strings(&[&["ID клиента", "Статус"]])[0]);
        assert_eq!((russian.status, russian.client_id), (2, 1));
    }

    fn contacts(fake: &FakeSheets, rows: u32) {
        let mut cells = vec![vec![
            "Phone".to_owned(),
            "Status".to_owned(),
            "Client ID".to_owned(),
        ]];
        cells.extend((2..=rows + 1).map(|r| vec![format!("+7900{r:07}")]));
        fake.set_cells(BOOK, AWKWARD, cells);
    }

    fn assert_all_written(fake: &FakeSheets, rows: u32) {
        let cells = fake.cells(BOOK, AWKWARD).unwrap();
        assert_eq!(cells.len() as u32, rows + 1);
        for r in 2..=rows + 1 {
            assert_eq!(
                cells[r as usize - 1],
                vec![
                    format!("+7900{r:07}"),
                    format!("Создан «{r}»"),
                    format!("{}", 1000 + r)
                ],
                "row {r}"
            );
        }
    }

    #[tokio::test]
    async fn five_hundred_statuses_go_in_few_paced_requests() {
        let fake = FakeSheets::start(TOKEN).await.unwrap();
        contacts(&fake, 500);
        let interval = Duration::from_millis(40);
        let columns = StatusColumns::find(&strings(&[&["Phone", "Status", "Client ID"]])[0]);
        let mut writer = StatusWriter::new(sheets(&fake, TOKEN), BOOK, AWKWARD, columns)
            .with_min_interval(interval);
        let started = Instant::now();
        for r in 2..=501u32 {
            writer.push(r, &format!("Создан «{r}»"), Some(&format!("{}", 1000 + r)));
            writer.flush_if_due().await.unwrap();
            if r % 10 == 0 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        writer.flush().await.unwrap();
        let elapsed = started.elapsed();
        assert_eq!(writer.pending(), 0);
        assert_all_written(&fake, 500);

        let writes = fake.writes();
        let allowed = (elapsed.as_millis() / interval.as_millis()) as usize + 2;
        assert!(writes.len() >= 2, "{} writes", writes.len());
        assert!(
            writes.len() <= allowed,
            "{} writes in {elapsed:?}",
            writes.len()
        );
        assert!(writes.len() <= 50, "{} writes for 500 rows", writes.len());
        for pair in writes.windows(2) {
            let gap = pair[1].at - pair[0].at;
            // Measured at the server: allow a little network jitter under the interval.
            assert!(
                gap >= interval - Duration::from_millis(10),
                "writes {gap:?} apart"
            );
        }
        assert!(writes.iter().all(|w| w.value_input_option == "RAW"));
        assert_eq!(writer.requests() as usize, writes.len());
    }

    #[tokio::test]
    async fn a_status_already_written_is_not_written_again() {
        let fake = FakeSheets::start(TOKEN).await.unwrap();
        contacts(&fake, 3);
        let columns = StatusColumns::find(&strings(&[&["Phone", "Status", "Client ID"]])[0]);
        let mut writer = StatusWriter::new(sheets(&fake, TOKEN), BOOK, AWKWARD, columns)
            .with_min_interval(Duration::from_millis(1));
        for r in 2..=4u32 {
            writer.push(r, &format!("Создан «{r}»"), Some(&format!("{}", 1000 + r)));
        }
        writer.flush().await.unwrap();
        assert_eq!(fake.writes().len(), 1);

        // The job's final pass repeats every row: nothing to write.
        for r in 2..=4u32 {
            writer.push(r, &format!("Создан «{r}»"), Some(&format!("{}", 1000 + r)));
        }
        assert_eq!(writer.pending(), 0);
        // A change queued and then taken back leaves the written value alone.
        writer.push(3, "Ошибка", None);
        writer.push(3, "Создан «3»", Some("1003"));
        assert_eq!(writer.pending(), 0);
        writer.flush().await.unwrap();
        assert_eq!(fake.writes().len(), 1);
        assert_all_written(&fake, 3);
    }

    #[tokio::test]
    async fn a_body_limit_splits_a_flush_into_several_requests() {
        let fake = FakeSheets::start(TOKEN).await.unwrap();
        contacts(&fake, 500);
        let columns = StatusColumns::find(&strings(&[&["Phone", "Status", "Client ID"]])[0]);
        let limit = 8 * 1024;
        let mut writer = StatusWriter::new(sheets(&fake, TOKEN), BOOK, AWKWARD, columns)
            .with_min_interval(Duration::from_millis(2))
            .with_max_body_bytes(limit);
        for r in 2..=501u32 {
            writer.push(r, &format!("Создан «{r}»"), Some(&format!("{}", 1000 + r)));
        }
        writer.flush().await.unwrap();
        assert_all_written(&fake, 500);
        let writes = fake.writes();
        assert!(writes.len() > 1);
        assert!(writes.len() < 30, "{} writes", writes.len());
        assert!(writes.iter().all(|w| w.body_bytes <= limit), "{writes:?}");
        // Contiguous rows with side-by-side columns go as one range per request.
        assert!(writes.iter().all(|w| w.ranges.len() == 1), "{writes:?}");
    }

    #[tokio::test]
    async fn a_429_storm_loses_no_update() {
        let fake = FakeSheets::start(TOKEN).await.unwrap();
        contacts(&fake, 300);
        let columns = StatusColumns::find(&strings(&[&["Phone", "Status", "Client ID"]])[0]);
        let mut writer = StatusWriter::new(sheets(&fake, TOKEN), BOOK, AWKWARD, columns)
            .with_min_interval(Duration::from_millis(2))
            .with_backoff(Duration::from_millis(5), Duration::from_millis(40))
            .with_max_body_bytes(4 * 1024);
        fake.rate_limit_next(6);
        for r in 2..=301u32 {
            writer.push(r, &format!("Создан «{r}»"), Some(&format!("{}", 1000 + r)));
            // A rate limit is not an error here: the rows wait.
            writer.flush_if_due().await.unwrap();
        }
        assert!(writer.pending() > 0);
        writer.flush().await.unwrap();
        assert_eq!(writer.pending(), 0);
        assert_all_written(&fake, 300);
        assert_eq!(fake.stats().rate_limited, 6);

        // A storm longer than the writer's patience: the error comes back, the rows stay.
        fake.rate_limit_next(100);
        writer.push(2, "Обновлён «2»", Some("1002"));
        let error = writer.flush().await.unwrap_err();
        assert!(
            matches!(error, SheetsError::RateLimited { .. }),
            "{error:?}"
        );
        assert_eq!(writer.pending(), 1);
    }

    #[tokio::test]
    async fn an_expired_token_is_reported_and_statuses_wait_for_a_fresh_one() {
        let fake = FakeSheets::start("fresh-token-2").await.unwrap();
        contacts(&fake, 1);
        let stale = sheets(&fake, TOKEN);
        let error = stale.values(BOOK, AWKWARD).await.unwrap_err();
        assert!(matches!(error, SheetsError::Unauthorized(_)), "{error:?}");
        assert_no_token(&error, TOKEN);
        assert!(!format!("{stale:?}").contains(TOKEN));

        let columns = StatusColumns::find(&strings(&[&["Phone", "Status", "Client ID"]])[0]);
        let mut writer = StatusWriter::new(stale, BOOK, AWKWARD, columns)
            .with_min_interval(Duration::from_millis(2));
        writer.push(2, "Создан «2»", Some("1002"));
        let error = writer.flush().await.unwrap_err();
        assert!(matches!(error, SheetsError::Unauthorized(_)), "{error:?}");
        assert_no_token(&error, TOKEN);
        assert!(!format!("{writer:?}").contains(TOKEN));
        assert_eq!(writer.pending(), 1);
        assert_eq!(fake.stats().unauthorized, 2);

        writer.set_token(SecretString::from("fresh-token-2"));
        writer.flush().await.unwrap();
        assert_all_written(&fake, 1);
    }

    #[tokio::test]
    async fn no_error_shows_the_token() {
        let fake = FakeSheets::start(TOKEN).await.unwrap();
        fake.set_cells(BOOK, "S", [["a"]]);
        let client = sheets(&fake, TOKEN);
        let mut errors = vec![
            client.values(BOOK, "missing").await.unwrap_err(),
            client.values("missing", "S").await.unwrap_err(),
            sheets(&fake, "wrong").values(BOOK, "S").await.unwrap_err(),
        ];
        fake.rate_limit_next(1);
        errors.push(client.values(BOOK, "S").await.unwrap_err());
        // Nobody listens on a port just released.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let nowhere = Sheets::new(
            &format!("http://{closed}"),
            SecretString::from(TOKEN),
            Duration::from_secs(2),
        )
        .unwrap();
        errors.push(nowhere.values(BOOK, "S").await.unwrap_err());
        errors.push(
            Sheets::new(
                "not a url",
                SecretString::from(TOKEN),
                Duration::from_secs(1),
            )
            .unwrap_err(),
        );
        assert!(
            matches!(errors[3], SheetsError::RateLimited { .. }),
            "{:?}",
            errors[3]
        );
        assert!(
            matches!(errors[4], SheetsError::NoAnswer(_)),
            "{:?}",
            errors[4]
        );
        for error in &errors {
            assert_no_token(error, TOKEN);
        }
    }

    const SCOPE: &str = "https://www.googleapis.com/auth/";

    #[tokio::test]
    async fn a_token_is_good_only_for_the_methods_its_scopes_allow() {
        let fake = FakeSheets::start(TOKEN).await.unwrap();
        contacts(&fake, 1);
        let client = sheets(&fake, TOKEN);
        let columns = StatusColumns::find(&strings(&[&["Phone", "Status", "Client ID"]])[0]);
        let write = |client: Sheets| async {
            let mut writer = StatusWriter::new(client, BOOK, AWKWARD, columns.clone())
                .with_min_interval(Duration::from_millis(2));
            writer.push(2, "Создан", Some("1"));
            writer.flush().await
        };

        // Apps Script's own scope: the REST API refuses it for every method.
        fake.set_scoped_token(TOKEN, &[&format!("{SCOPE}spreadsheets.currentonly")]);
        let read = client.read_sheet(BOOK, AWKWARD).await.unwrap_err();
        assert!(matches!(read, SheetsError::ScopeInsufficient), "{read:?}");
        let shown = read.to_string();
        assert!(
            shown.contains("https://www.googleapis.com/auth/spreadsheets")
                && shown.contains("appsscript.json")
                && shown.contains("consent screen"),
            "the administrator is told what to change: {shown}"
        );
        let written = write(client.clone()).await.unwrap_err();
        assert!(
            matches!(written, SheetsError::ScopeInsufficient),
            "{written:?}"
        );

        // Read-only reads, and cannot write.
        fake.set_scoped_token(TOKEN, &[&format!("{SCOPE}spreadsheets.readonly")]);
        assert_eq!(client.read_sheet(BOOK, AWKWARD).await.unwrap().len(), 2);
        let written = write(client.clone()).await.unwrap_err();
        assert!(
            matches!(written, SheetsError::ScopeInsufficient),
            "{written:?}"
        );

        // `drive.file` reaches only files the app made or the user picked: not this one.
        fake.set_scoped_token(TOKEN, &[&format!("{SCOPE}drive.file")]);
        let read = client.read_sheet(BOOK, AWKWARD).await.unwrap_err();
        assert!(matches!(read, SheetsError::Forbidden(_)), "{read:?}");

        // The add-on's scopes: everything works.
        fake.set_scoped_token(
            TOKEN,
            &[
                &format!("{SCOPE}spreadsheets"),
                &format!("{SCOPE}script.container.ui"),
                "openid",
            ],
        );
        assert_eq!(client.read_sheet(BOOK, AWKWARD).await.unwrap().len(), 2);
        write(client.clone()).await.unwrap();
        assert_eq!(fake.stats().forbidden, 4);
    }

    #[tokio::test]
    async fn a_project_without_the_sheets_api_is_told_to_enable_it() {
        let fake = FakeSheets::start(TOKEN).await.unwrap();
        contacts(&fake, 1);
        fake.disable_api(314159265358);
        let error = sheets(&fake, TOKEN)
            .read_sheet(BOOK, AWKWARD)
            .await
            .unwrap_err();
        assert!(
            matches!(&error, SheetsError::ApiDisabled { project: Some(p) } if p == "314159265358"),
            "{error:?}"
        );
        let shown = error.to_string();
        assert!(
            shown.contains("not enabled") && shown.contains("314159265358"),
            "{shown}"
        );
        assert!(!error.is_transient(), "enabling it is a person's job");
        // A wrong token is still a wrong token first.
        let error = sheets(&fake, "wrong")
            .read_sheet(BOOK, AWKWARD)
            .await
            .unwrap_err();
        assert!(matches!(error, SheetsError::Unauthorized(_)), "{error:?}");
    }
}
