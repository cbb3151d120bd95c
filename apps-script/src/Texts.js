/**
 * Every text the user sees, in Russian and English, and how the language is chosen.
 *
 * CONTRACT.md: the language follows the spreadsheet's locale (`ru…` → ru, anything else →
 * en), because the backend writes statuses in the language of the sheet's header and the
 * add-on should speak the same one.
 *
 * Apps Script puts every file in one global scope: the names here start with `cl` and
 * private functions end with `_` (google.script.run cannot call those).
 */

var CL_TEXTS = {
  ru: {
    addonTitle: 'Загрузка контактов',
    menuProcess: 'Загрузить список',
    menuCheck: 'Проверить список',
    menuSample: 'Загрузить 20 строк для пробы',
    menuSettings: 'Настройки',
    menuNewSheet: 'Новый лист контактов',
    menuHelp: 'Справка',

    headersChat2desk: ['Контакт', 'Имя', 'Комментарий', 'Теги', 'Канал', 'Мессенджер', 'Статус', 'ID клиента'],
    headersOmnidesk: [
      'Телефон', 'Эл. почта', 'ID мессенджера', 'Имя', 'Компания', 'Должность', 'Комментарий', 'Теги', 'Статус', 'ID клиента',
    ],
    headersIntercom: [
      'Телефон', 'Эл. почта', 'ID мессенджера', 'Имя', 'Компания', 'Должность', 'Комментарий', 'Теги', 'Статус', 'ID клиента',
    ],
    contactSheetName: 'Контакты',
    instructionsSheetNameChat2desk: 'Инструкция',
    instructionsSheetNameOmnidesk: 'Инструкция Omnidesk',
    instructionsSheetNameIntercom: 'Инструкция Intercom',
    reportSheetName: 'Отчёт {date}',
    reportHeaders: ['Строка', 'Статус', 'Причина', 'ID клиента'],
    statusWords: {
      created: 'Создан',
      updated: 'Обновлён',
      unchanged: 'Без изменений',
      merged: 'Объединено',
      invalid: 'Ошибка',
      skipped: 'Пропущено',
      failed: 'Не загружено',
      pending: 'Ожидает',
      ready: 'Готово к загрузке',
    },
    tagsHelp: 'Выберите тег из списка. Несколько тегов — через запятую.',
    channelHelp: 'Канал Chat2Desk, в котором будет создан контакт.',
    messengerHelp: 'Мессенджер, через который вы будете писать контакту.',
    tagsHelpIntercom: 'Выберите тег из списка или впишите новый: Intercom создаст его. Несколько тегов — через запятую.',
    sheetReady: 'Лист «{name}» готов: заполните его и выберите «Загрузить список».',
    sheetReadyNoDropdowns:
      'Лист «{name}» готов, но без выпадающих списков: {reason} ' +
      'Когда подключение заработает, создайте новый лист — списки появятся.',
    noDropdownsNoTokenChat2desk: 'токен Chat2Desk ещё не указан в настройках.',
    noDropdownsFailedChat2desk: 'не удалось получить каналы и теги из Chat2Desk ({error}).',
    noDropdownsNoTokenIntercom: 'токен доступа Intercom ещё не указан в настройках.',
    noDropdownsFailedIntercom: 'не удалось получить теги из Intercom ({error}).',
    sheetReadyFields:
      'Лист «{name}» готов, со столбцами полей данных Omnidesk: {fields}. ' +
      'Заполните его и выберите «Загрузить список».',
    sheetReadyNoFields:
      'Лист «{name}» готов, но без столбцов полей данных Omnidesk: {reason} ' +
      'Когда подключение заработает, создайте новый лист — столбцы появятся. Или добавьте столбец сами, ' +
      'назвав его точно как поле данных.',
    noDropdownsNoTokenOmnidesk: 'адрес аккаунта, e-mail сотрудника или API-ключ Omnidesk ещё не указаны в настройках.',
    noDropdownsFailedOmnidesk: 'не удалось получить поля данных из Omnidesk ({error}).',
    selectHelp: 'Выберите вариант поля данных «{field}» Omnidesk.',
    selectHelpPartial: 'В списке — первые {max} вариантов поля данных «{field}»; другой вариант впишите точно как в Omnidesk.',
    checkboxWords: ['да', 'нет'],
    checkboxHelp: 'Флажок «{field}» Omnidesk: «да» — отметить, «нет» — снять. Пустая ячейка оставит его как есть.',

    noBackend:
      'Дополнение ещё не настроено: администратору нужно указать адрес сервиса ' +
      '(npm run set-backend) и заново развернуть дополнение.',
    noToken: 'Откройте «Настройки» и вставьте API-токен Chat2Desk.',
    noOmnideskCredentials:
      'Откройте «Настройки», выберите Omnidesk и укажите адрес аккаунта, e-mail сотрудника и API-ключ.',
    noIntercomToken: 'Откройте «Настройки», выберите Intercom и вставьте токен доступа Intercom.',
    badTarget: 'Неизвестная система «{target}»: выберите Chat2Desk, Omnidesk или Intercom.',
    badIntercomRegion: 'Неизвестный регион Intercom «{value}»: выберите США, Европу или Австралию.',
    badOmnideskUrl:
      '«{value}» — не адрес аккаунта Omnidesk. Укажите адрес, по которому вы открываете Omnidesk, ' +
      'например https://company.omnidesk.ru.',
    badStaffEmail: '«{value}» — не адрес почты. Укажите e-mail, с которым вы входите в Omnidesk.',
    tagsFieldMissing:
      'В списке есть теги, а у клиентов Omnidesk тегов нет: они записываются в поле данных клиента. ' +
      'Откройте «Настройки» и выберите «Поле для тегов» (если подходящего нет, создайте его в Omnidesk: ' +
      'Настройки → Поля данных, уровень «пользователь», тип «текст») или очистите столбец «Теги».',
    tagsFieldUnknown:
      'В Omnidesk нет поля данных клиента «{field}» для тегов. Выберите другое «Поле для тегов» в ' +
      '«Настройках» (в списке — текстовые поля аккаунта) или создайте его в Omnidesk (уровень ' +
      '«пользователь», тип «текст»).',
    tagsFieldNotText:
      'Поле данных «{field}» в Omnidesk не текстовое, а теги можно записать только в текстовое поле. ' +
      'Выберите другое «Поле для тегов» в «Настройках».',
    omnideskAddress:
      '{url} — не адрес аккаунта Omnidesk (https://АККАУНТ.omnidesk.ru или .omnidesk.pro). ' +
      'Исправьте адрес в «Настройках».',
    omnideskRefused:
      'Omnidesk не принял e-mail сотрудника и API-ключ. Проверьте их в «Настройках» (API-ключ — ' +
      'в Omnidesk: Настройки → API).',
    playsUnknown:
      '«{name}» — не название отличия аккаунта. Исправьте «Отличия аккаунта» в «Настройках»: впишите ' +
      'названия через запятую так, как их вывела проверка аккаунта (contact-loader probe --target omnidesk), ' +
      'или очистите поле.',
    columnsUnknown:
      'В листе есть столбцы, для которых в Омнидеске нет поля данных клиента: {columns}. Создайте поле ' +
      'в Омнидеске («Настройки» → «Поля данных», уровень «пользователь») с названием столбца или ' +
      'удалите столбец, затем обработайте список снова.',
    columnsUnknownUnnamed:
      'В листе есть столбцы, для которых в Омнидеске нет поля данных клиента. Создайте поле в ' +
      'Омнидеске («Настройки» → «Поля данных», уровень «пользователь») с названием столбца или ' +
      'удалите столбец, затем обработайте список снова.',
    attributesMissing:
      'В Intercom нет атрибутов, которые заполняет список: {names}. Создайте их в Intercom (Settings → ' +
      'Data → People → Create attribute, тип Text) или отметьте «Создавать недостающие атрибуты» в «Настройках».',
    attributesMissingUnnamed:
      'В Intercom нет атрибутов, которые заполняет список. Создайте их в Intercom (Settings → Data → ' +
      'People → Create attribute, тип Text) или отметьте «Создавать недостающие атрибуты» в «Настройках».',
    attributesFull:
      'Для списка нужно больше новых атрибутов, чем помещается в Intercom (не больше 250 своих атрибутов). ' +
      'Уберите лишние столбцы из листа или архивируйте ненужные атрибуты в Intercom.',
    intercomHost:
      '{url} — не адрес API Intercom, и сервис загрузки к нему не обращается. Сообщите администратору ' +
      '(свойство скрипта INTERCOM_BASE_URL).',
    intercomRefused:
      'Intercom не принял токен доступа. Проверьте его и регион рабочего пространства в «Настройках» ' +
      '(токен — в Intercom: Settings → Integrations → Developer Hub → ваше приложение → Authentication).',
    signIn:
      'Вход в Google истёк или этой учётной записи не разрешено пользоваться сервисом. ' +
      'Обновите страницу таблицы и попробуйте снова; если не поможет — обратитесь к администратору.',
    unreachable: 'Сервис загрузки недоступен. Попробуйте ещё раз через минуту.',
    sheetBusy: 'С этим листом уже работает загрузка другого пользователя. Попробуйте, когда она закончится.',
    tooMany:
      'Слишком много запусков сразу: дождитесь окончания одной из ваших загрузок (или отмените её) ' +
      'и попробуйте через минуту.',
    notAllowlisted:
      'Google не разрешил дополнению обратиться к сервису загрузки: адреса {url} нет в списке ' +
      'разрешённых адресов дополнения (urlFetchWhitelist). Сообщите администратору.',
    fetchQuota:
      'Исчерпан суточный лимит Google на обращения дополнения к внешним сервисам для вашей ' +
      'учётной записи. Он восстановится в течение суток: попробуйте завтра.',
    authorize:
      'Дополнению не разрешено подключаться к сервису от вашего имени. Откройте «Расширения → ' +
      'Загрузка контактов» и выберите любой пункт: Google попросит разрешить доступ. Разрешите и ' +
      'попробуйте снова. Если вы вошли в несколько аккаунтов Google, работайте в одном или в приватном окне.',
    refused: 'Сервис не принял запрос (код {code}). Попробуйте ещё раз или обратитесь к администратору.',
    jobNotFound:
      'Эта загрузка не найдена: возможно, её запускала другая учётная запись Google. ' +
      'Запустите загрузку заново.',
    reportNotReady: 'Отчёт ещё не готов: дождитесь окончания загрузки.',
    badMode: 'Неизвестное действие «{mode}».',
    badRegion: 'Регион — это две латинские буквы, например RU или KZ.',
    emptySheet:
      'На листе «{name}» нет строк с контактами. Откройте лист со списком ' +
      '(первая строка — заголовки) и запустите снова.',
    notContactSheet:
      'Лист «{name}» — это отчёт или инструкция дополнения, а не список контактов. ' +
      'Откройте лист со списком и запустите снова.',
    unexpected: 'Что-то пошло не так ({detail}). Попробуйте ещё раз; если повторится — сообщите администратору.',

    helpTitle: 'Справка',
    instructionsChat2desk: [
      'Как загрузить контакты в Chat2Desk',
      '',
      '1. Откройте «Расширения → Загрузка контактов → Настройки». Вставьте API-токен Chat2Desk ' +
        '(в Chat2Desk: Настройки → API) и нажмите «Проверить подключение».',
      '2. Выберите «Новый лист контактов» и заполните его: один контакт в строке.',
      '   • Контакт — номер телефона (+7 999 123-45-67, 8 999 123 45 67 …) или адрес почты. Обязательно.',
      '   • Имя — как контакт будет называться в Chat2Desk.',
      '   • Комментарий — заметка о контакте.',
      '   • Теги — выберите из списка; несколько тегов пишите через запятую. ' +
        'Подходят только теги, которые уже есть в Chat2Desk.',
      '   • Канал и Мессенджер — где создать контакт. Пустая ячейка — значение из настроек.',
      '   • Адрес почты попадает в канал строки, если он принимает почту, иначе — в канал с почтой ' +
        '(если таких несколько — в «Канал для почты» из настроек).',
      '   • Статус и ID клиента заполняет дополнение. В них ничего писать не нужно.',
      '3. «Проверить список» — покажет в столбце «Статус», что будет с каждой строкой. ' +
        'В Chat2Desk ничего не отправляется.',
      '4. «Загрузить 20 строк для пробы» — загрузит первые 20 строк, чтобы проверить результат.',
      '5. «Загрузить список» — загрузит все строки. Повторный запуск не тратит запросов ' +
        'на строки, которые уже загружены и не менялись.',
      '',
      'Цвета статуса: зелёный — готово; серый — объединено с другой строкой или без изменений; ' +
        'красный — ошибка, прочитайте текст и исправьте строку; жёлтый — ждёт следующего запуска.',
      'Каждый запрос к Chat2Desk учитывается в месячном лимите (100 000 бесплатно). ' +
        'Если загрузка выйдет за бесплатный лимит, сначала вы увидите расчёт и решите сами. ' +
        'Если Chat2Desk не сообщает, сколько бесплатных запросов осталось, загрузка больше ' +
        '1 000 запросов тоже сначала спросит вас.',
    ],
    instructionsOmnidesk: [
      'Как загрузить контакты в Omnidesk',
      '',
      '1. Откройте «Расширения → Загрузка контактов → Настройки» и выберите Omnidesk. Укажите адрес ' +
        'аккаунта (https://АККАУНТ.omnidesk.ru), e-mail сотрудника и API-ключ (в Omnidesk: Настройки → API) ' +
        'и нажмите «Проверить подключение».',
      '2. Выберите «Новый лист контактов» и заполните его: один клиент в строке.',
      '   • Телефон, Эл. почта, ID мессенджера — как связаться с клиентом; нужно хотя бы одно. ' +
        'Всё, что указано в строке, станет одним клиентом Omnidesk.',
      '   • ID мессенджера пишется как мессенджер|id, например telegram|123456789 или whatsapp|79991234567.',
      '   • Имя, Компания, Должность, Комментарий — попадут в карточку клиента.',
      '   • Теги — через запятую. В Omnidesk у клиентов нет тегов: они записываются в поле данных, ' +
        'выбранное в настройках («Поле для тегов»).',
      '   • Столбцы после «Теги» — поля данных клиента из вашего Omnidesk (Настройки → Поля данных, ' +
        'уровень «пользователь»). Столбец заполняет поле, если назван точно как оно (заглавные буквы и пробелы ' +
        'по краям не важны). В поле-списке выберите вариант из выпадающего списка, во флажке — «да» или «нет»; ' +
        'текст и дату пишите так, как они должны оказаться в Omnidesk: они уйдут как написаны. Пустая ячейка ' +
        'поле не меняет.',
      '   • Новое поле данных появится в листе, если снова выбрать «Новый лист контактов»; или добавьте столбец ' +
        'сами, назвав его точно как поле. Если поля с названием столбца в Omnidesk нет, загрузка ' +
        'остановится ещё до первой записи и скажет, какой это столбец.',
      '   • Статус и ID клиента заполняет дополнение. В них ничего писать не нужно.',
      '3. «Проверить список» — покажет в столбце «Статус», что будет с каждой строкой. ' +
        'В Omnidesk ничего не отправляется.',
      '4. «Загрузить 20 строк для пробы» — загрузит первые 20 строк, чтобы проверить результат.',
      '5. «Загрузить список» — загрузит все строки. Повторный запуск не тратит запросов ' +
        'на строки, которые уже загружены и не менялись.',
      '',
      'Цвета статуса: зелёный — готово; серый — объединено с другой строкой или без изменений; ' +
        'красный — ошибка, прочитайте текст и исправьте строку; жёлтый — ждёт следующего запуска.',
      'Omnidesk принимает лишь несколько запросов в минуту, поэтому большой список загружается долго ' +
        '(10 000 строк — несколько часов). Сколько это займёт, вы увидите в начале загрузки; ' +
        'панель дополнения можно закрыть: раз в час дополнение само передаёт загрузке свежий вход в Google.',
    ],
    instructionsIntercom: [
      'Как загрузить контакты в Intercom',
      '',
      '1. Откройте «Расширения → Загрузка контактов → Настройки» и выберите Intercom. Вставьте токен доступа ' +
        '(в Intercom: Settings → Integrations → Developer Hub → ваше приложение → Authentication), выберите регион ' +
        'рабочего пространства (США, Европа или Австралия) и нажмите «Проверить подключение».',
      '2. Выберите «Новый лист контактов» и заполните его: один человек в строке.',
      '   • Телефон, Эл. почта, ID мессенджера — как связаться с человеком; нужно хотя бы одно. Строка с адресом ' +
        'почты станет пользователем (user) Intercom, строка без него — лидом (lead).',
      '   • ID мессенджера пишется как мессенджер|id, например telegram|123456789: он попадёт в атрибут telegram_id.',
      '   • Имя — имя контакта; Компания — компания, к которой он будет привязан; Должность — атрибут job_title.',
      '   • Комментарий — добавится к контакту заметкой, один раз.',
      '   • Теги — выберите из списка или впишите новые; несколько тегов — через запятую.',
      '   • Другие столбцы, названные как ваши атрибуты Intercom, заполнят эти атрибуты.',
      '   • Статус и ID клиента заполняет дополнение. В них ничего писать не нужно.',
      '   • Атрибуты, которых в Intercom нет (job_title, telegram_id…), загрузка сама не создаёт: создайте их ' +
        'в Intercom или отметьте «Создавать недостающие атрибуты» в настройках.',
      '3. «Проверить список» — покажет в столбце «Статус», что будет с каждой строкой. ' +
        'В Intercom ничего не отправляется.',
      '4. «Загрузить 20 строк для пробы» — загрузит первые 20 строк, чтобы проверить результат.',
      '5. «Загрузить список» — загрузит все строки. Повторный запуск не тратит запросов ' +
        'на строки, которые уже загружены и не менялись.',
      '',
      'Внимание: контакты, подходящие под правила активных кампаний Intercom, сразу получат их сообщения. ' +
        'На время загрузки приостановите кампании и уведомления, а сначала загрузите 20 строк для пробы.',
      'Архивированный контакт из списка не создаётся заново: строка скажет, что с ним делать, а с ' +
        '«Разархивировать архивированные контакты» в настройках он будет разархивирован.',
      'Цвета статуса: зелёный — готово; серый — объединено с другой строкой или без изменений; ' +
        'красный — ошибка, прочитайте текст и исправьте строку; жёлтый — ждёт следующего запуска.',
    ],
  },

  en: {
    addonTitle: 'Contact loader',
    menuProcess: 'Process list',
    menuCheck: 'Check list',
    menuSample: 'Process 20 sample rows',
    menuSettings: 'Settings',
    menuNewSheet: 'New contact sheet',
    menuHelp: 'Help',

    headersChat2desk: ['Contact', 'Name', 'Comment', 'Tags', 'Channel', 'Messenger', 'Status', 'Client ID'],
    headersOmnidesk: ['Phone', 'E-mail', 'Messenger ID', 'Name', 'Company', 'Position', 'Comment', 'Tags', 'Status', 'Client ID'],
    headersIntercom: ['Phone', 'E-mail', 'Messenger ID', 'Name', 'Company', 'Position', 'Comment', 'Tags', 'Status', 'Client ID'],
    contactSheetName: 'Contacts',
    instructionsSheetNameChat2desk: 'Instructions',
    instructionsSheetNameOmnidesk: 'Instructions Omnidesk',
    instructionsSheetNameIntercom: 'Instructions Intercom',
    reportSheetName: 'Report {date}',
    reportHeaders: ['Row', 'Status', 'Reason', 'Client ID'],
    statusWords: {
      created: 'Created',
      updated: 'Updated',
      unchanged: 'Unchanged',
      merged: 'Merged',
      invalid: 'Error',
      skipped: 'Skipped',
      failed: 'Not loaded',
      pending: 'Pending',
      ready: 'Ready to load',
    },
    tagsHelp: 'Pick a tag from the list. Several tags: separate them with a comma.',
    channelHelp: 'The Chat2Desk channel the contact is created in.',
    messengerHelp: 'The messenger you will write to the contact through.',
    tagsHelpIntercom: 'Pick a tag from the list, or type a new one: Intercom creates it. Several tags: separate them with a comma.',
    sheetReady: 'Sheet "{name}" is ready: fill it in, then choose "Process list".',
    sheetReadyNoDropdowns:
      'Sheet "{name}" is ready, but without dropdowns: {reason} ' +
      'Once the connection works, create a new sheet to get them.',
    noDropdownsNoTokenChat2desk: 'no Chat2Desk token is set in Settings yet.',
    noDropdownsFailedChat2desk: 'the channels and tags could not be read from Chat2Desk ({error}).',
    noDropdownsNoTokenIntercom: 'no Intercom access token is set in Settings yet.',
    noDropdownsFailedIntercom: 'the tags could not be read from Intercom ({error}).',
    sheetReadyFields:
      'Sheet "{name}" is ready, with columns for the Omnidesk data fields {fields}: ' +
      'fill it in, then choose "Process list".',
    sheetReadyNoFields:
      'Sheet "{name}" is ready, but without columns for the Omnidesk data fields: {reason} ' +
      'Once the connection works, create a new sheet to get them, or add a column yourself, ' +
      'titled exactly as the data field.',
    noDropdownsNoTokenOmnidesk: "the Omnidesk account's address, staff e-mail or API key is not set in Settings yet.",
    noDropdownsFailedOmnidesk: 'the data fields could not be read from Omnidesk ({error}).',
    selectHelp: 'Pick an option of the Omnidesk data field "{field}".',
    selectHelpPartial: 'The list shows the first {max} options of the data field "{field}"; type another exactly as Omnidesk has it.',
    checkboxWords: ['yes', 'no'],
    checkboxHelp: 'The Omnidesk checkbox "{field}": "yes" ticks it, "no" clears it. An empty cell leaves it as it is.',

    noBackend:
      'The add-on is not set up yet: the administrator must set the address of the service ' +
      '(npm run set-backend) and deploy the add-on again.',
    noToken: 'Open Settings and paste your Chat2Desk API token.',
    noOmnideskCredentials:
      "Open Settings, choose Omnidesk and enter the account's address, your staff e-mail and the API key.",
    noIntercomToken: 'Open Settings, choose Intercom and paste your Intercom access token.',
    badTarget: 'Unknown system "{target}": choose Chat2Desk, Omnidesk or Intercom.',
    badIntercomRegion: 'Unknown Intercom region "{value}": choose the US, Europe or Australia.',
    badOmnideskUrl:
      '"{value}" is not an Omnidesk account\'s address. Enter the address you open Omnidesk at, ' +
      'such as https://company.omnidesk.ru.',
    badStaffEmail: '"{value}" is not an e-mail address. Enter the e-mail you sign in to Omnidesk with.',
    tagsFieldMissing:
      'The list has tags, and Omnidesk users have no tags: they go into a user data field. Open ' +
      'Settings and choose the "Tags field" (if there is none to choose, create one in Omnidesk: ' +
      'Settings → Data fields, level "user", type "text"), or clear the Tags column.',
    tagsFieldUnknown:
      'Omnidesk has no user data field "{field}" for the tags. Choose another "Tags field" in ' +
      'Settings (the list shows the account\'s text fields), or create it in Omnidesk (level ' +
      '"user", type "text").',
    tagsFieldNotText:
      'The data field "{field}" is not a text field in Omnidesk, and tags go only into a text field. ' +
      'Choose another "Tags field" in Settings.',
    omnideskAddress:
      "{url} is not an Omnidesk account's address (https://ACCOUNT.omnidesk.ru or .omnidesk.pro). " +
      'Correct the address in Settings.',
    omnideskRefused:
      'Omnidesk did not accept the staff e-mail and API key. Check them in Settings (the API key is ' +
      'in Omnidesk: Settings → API).',
    playsUnknown:
      '"{name}" is not the name of an account difference. Correct "Account differences" in Settings: ' +
      "the names separated by commas, as the account's check printed them (contact-loader probe " +
      '--target omnidesk), or clear the field.',
    columnsUnknown:
      'The sheet has columns Omnidesk has no user data field for: {columns}. Create the field in ' +
      'Omnidesk (Settings → Data fields, level "user") under the column\'s title, or delete the ' +
      'column, then process the list again.',
    columnsUnknownUnnamed:
      'The sheet has columns Omnidesk has no user data field for. Create the field in Omnidesk ' +
      '(Settings → Data fields, level "user") under the column\'s title, or delete the column, ' +
      'then process the list again.',
    attributesMissing:
      'Intercom has no attributes the list fills: {names}. Create them in Intercom (Settings → Data → ' +
      'People → Create attribute, type Text), or tick "Create missing attributes" in Settings.',
    attributesMissingUnnamed:
      'Intercom lacks attributes the list fills. Create them in Intercom (Settings → Data → People → ' +
      'Create attribute, type Text), or tick "Create missing attributes" in Settings.',
    attributesFull:
      'The list needs more new attributes than Intercom has room for (250 custom attributes at most). ' +
      'Remove columns from the sheet, or archive attributes you no longer use in Intercom.',
    intercomHost:
      "{url} is not Intercom's API, and the loading service calls no such address. Tell your " +
      'administrator (the script property INTERCOM_BASE_URL).',
    intercomRefused:
      "Intercom did not accept the access token. Check it and the workspace's region in Settings (the " +
      'token is in Intercom: Settings → Integrations → Developer Hub → your app → Authentication).',
    signIn:
      'Your Google sign-in has expired, or this account is not allowed to use the service. ' +
      'Reload the spreadsheet and try again; if it repeats, ask your administrator.',
    unreachable: 'The loading service is not reachable. Try again in a minute.',
    sheetBusy: "Another user's load is running on this sheet. Try again when it has ended.",
    tooMany:
      'Too many loads started at once: wait until one of yours ends (or cancel it) and try again ' +
      'in a minute.',
    notAllowlisted:
      'Google did not let the add-on call its loading service: the address {url} is not on the ' +
      "add-on's list of allowed addresses (urlFetchWhitelist). Tell your administrator.",
    fetchQuota:
      "Google's daily limit on the add-on's calls to outside services is used up for your " +
      'account. It renews within a day: try again tomorrow.',
    authorize:
      'The add-on is not allowed to connect to its service for you. Open Extensions → Contact ' +
      'loader and choose any item: Google asks you to allow access. Allow it, then try again. ' +
      'If you are signed in to several Google accounts, use one, or a private window.',
    refused: 'The service did not accept the request (code {code}). Try again or ask your administrator.',
    jobNotFound:
      'This load was not found: it may have been started from another Google account. ' +
      'Start the load again.',
    reportNotReady: 'The report is not ready yet: wait until the load ends.',
    badMode: 'Unknown action "{mode}".',
    badRegion: 'The region is two Latin letters, such as RU or KZ.',
    emptySheet:
      'Sheet "{name}" has no contact rows. Open the sheet with your list ' +
      '(headers in the first row) and run it again.',
    notContactSheet:
      'Sheet "{name}" is a report or the instructions of the add-on, not a contact list. ' +
      'Open the sheet with your list and run it again.',
    unexpected: 'Something went wrong ({detail}). Try again; if it repeats, tell your administrator.',

    helpTitle: 'Help',
    instructionsChat2desk: [
      'How to load contacts into Chat2Desk',
      '',
      '1. Open Extensions → Contact loader → Settings. Paste your Chat2Desk API token ' +
        '(in Chat2Desk: Settings → API) and press "Check connection".',
      '2. Choose "New contact sheet" and fill it in: one contact per row.',
      '   • Contact — a phone number (+7 999 123-45-67, 8 999 123 45 67 …) or an e-mail address. Required.',
      '   • Name — how the contact is called in Chat2Desk.',
      '   • Comment — a note about the contact.',
      '   • Tags — pick from the list; separate several tags with a comma. ' +
        'Only tags that already exist in Chat2Desk work.',
      '   • Channel and Messenger — where the contact is created. An empty cell takes the value from Settings.',
      "   • An e-mail address goes to the row's channel if it takes e-mail, else to the channel " +
        'that does (when several do, to the "E-mail channel" of Settings).',
      '   • Status and Client ID are filled in by the add-on. Leave them empty.',
      '3. "Check list" shows in the Status column what will happen to each row. ' +
        'Nothing is sent to Chat2Desk.',
      '4. "Process 20 sample rows" loads the first 20 rows, so you can look at the result first.',
      '5. "Process list" loads every row. Running it again spends no requests on rows ' +
        'that are already loaded and unchanged.',
      '',
      'Status colours: green — done; grey — merged with another row, or unchanged; ' +
        'red — error: read the text and fix the row; amber — waiting for the next run.',
      'Every request to Chat2Desk counts towards the monthly allowance (100,000 are free). ' +
        'If a load would go past the free allowance, you see the numbers first and decide. ' +
        'If Chat2Desk does not say how many free requests are left, a load of more than ' +
        '1,000 requests asks you first too.',
    ],
    instructionsOmnidesk: [
      'How to load contacts into Omnidesk',
      '',
      '1. Open Extensions → Contact loader → Settings and choose Omnidesk. Enter the account\'s address ' +
        '(https://ACCOUNT.omnidesk.ru), your staff e-mail and the API key (in Omnidesk: Settings → API), ' +
        'then press "Check connection".',
      '2. Choose "New contact sheet" and fill it in: one client per row.',
      '   • Phone, E-mail, Messenger ID — how to reach the client; at least one of them. ' +
        'Everything a row gives becomes one Omnidesk client.',
      '   • A messenger id is written messenger|id, such as telegram|123456789 or whatsapp|79991234567.',
      "   • Name, Company, Position, Comment — go into the client's card.",
      '   • Tags — separated by commas. Omnidesk clients have no tags: they go into the data field ' +
        'chosen in Settings ("Tags field").',
      "   • The columns after Tags are your Omnidesk's client data fields (Settings → Data fields, level " +
        '"user"). A column fills a field when it is titled exactly as the field (capitals and spaces around ' +
        'do not matter). In a dropdown field pick an option from the list, in a checkbox "yes" or "no"; write ' +
        'text and dates as they should be in Omnidesk: they go as written. An empty cell leaves the field as it is.',
      '   • A new data field gets its column when you choose "New contact sheet" again; or add the column ' +
        'yourself, titled exactly as the field. If Omnidesk has no field of a column\'s title, the load ' +
        'stops before its first write and names the column.',
      '   • Status and Client ID are filled in by the add-on. Leave them empty.',
      '3. "Check list" shows in the Status column what will happen to each row. ' +
        'Nothing is sent to Omnidesk.',
      '4. "Process 20 sample rows" loads the first 20 rows, so you can look at the result first.',
      '5. "Process list" loads every row. Running it again spends no requests on rows ' +
        'that are already loaded and unchanged.',
      '',
      'Status colours: green — done; grey — merged with another row, or unchanged; ' +
        'red — error: read the text and fix the row; amber — waiting for the next run.',
      'Omnidesk takes only a few requests a minute, so a big list takes long to load (10,000 rows: ' +
        'several hours). You see how long when the load starts; the add-on\'s panel may be closed meanwhile: ' +
        'once an hour the add-on brings the load a fresh Google sign-in itself.',
    ],
    instructionsIntercom: [
      'How to load contacts into Intercom',
      '',
      '1. Open Extensions → Contact loader → Settings and choose Intercom. Paste the access token ' +
        "(in Intercom: Settings → Integrations → Developer Hub → your app → Authentication), choose the workspace's " +
        'region (the US, Europe or Australia), then press "Check connection".',
      '2. Choose "New contact sheet" and fill it in: one person per row.',
      '   • Phone, E-mail, Messenger ID — how to reach the person; at least one of them. A row with an e-mail ' +
        'becomes an Intercom user, a row without one a lead.',
      '   • A messenger id is written messenger|id, such as telegram|123456789: it goes into the attribute telegram_id.',
      '   • Name — the contact\'s name; Company — the company it is attached to; Position — the attribute job_title.',
      '   • Comment — added to the contact as a note, once.',
      '   • Tags — pick from the list or type new ones; separate several tags with a comma.',
      '   • Other columns, titled after your Intercom attributes, fill those attributes.',
      '   • Status and Client ID are filled in by the add-on. Leave them empty.',
      '   • Attributes Intercom does not have (job_title, telegram_id…) are not created by the load on its own: ' +
        'create them in Intercom, or tick "Create missing attributes" in Settings.',
      '3. "Check list" shows in the Status column what will happen to each row. ' +
        'Nothing is sent to Intercom.',
      '4. "Process 20 sample rows" loads the first 20 rows, so you can look at the result first.',
      '5. "Process list" loads every row. Running it again spends no requests on rows ' +
        'that are already loaded and unchanged.',
      '',
      "Mind: contacts that match your live Intercom campaigns' rules get their messages right away. " +
        'Pause campaigns and notifications during the load, and process 20 sample rows first.',
      'An archived contact the list names is not created again: its row says what to do, and with ' +
        '"Unarchive archived contacts" in Settings it is unarchived.',
      'Status colours: green — done; grey — merged with another row, or unchanged; ' +
        'red — error: read the text and fix the row; amber — waiting for the next run.',
    ],
  },
};

/** `ru` for a Russian locale (`ru`, `ru_RU`), else `en`. */
function clLangOfLocale_(locale) {
  return /^ru/i.test(String(locale || '')) ? 'ru' : 'en';
}

/** The language of a spreadsheet, from its locale (CONTRACT.md). */
function clLangOfSpreadsheet_(spreadsheet) {
  return clLangOfLocale_(spreadsheet.getSpreadsheetLocale());
}

/** A text by key, with `{name}` placeholders filled from `params`. */
function clText_(lang, key, params) {
  var texts = CL_TEXTS[lang] || CL_TEXTS.en;
  var text = texts[key];
  if (typeof text !== 'string') {
    throw new Error('contact-loader: no text "' + key + '"');
  }
  return text.replace(/\{(\w+)\}/g, function (whole, name) {
    return params && params[name] !== undefined ? String(params[name]) : whole;
  });
}

/** A non-string text (a list, a table) by key. */
function clTexts_(lang, key) {
  return (CL_TEXTS[lang] || CL_TEXTS.en)[key];
}
