"""Built-in public names that de-identification must leave in place.

General world knowledge only, chosen for research on the Tajik civil war, the inter-Tajik peace process
and Afghanistan: countries, capitals, large cities and regions, administrative districts of Tajikistan and
northern Afghanistan, rivers and mountains, public figures, international bodies and political groups,
peoples and languages. Villages, mahallas, small employers and private persons are never listed here: a
name that is not public is removed by default. Researchers extend the list with --keep FILE.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

COUNTRIES = """
Afghanistan Albania Algeria Andorra Angola Argentina Armenia Australia Austria Azerbaijan Bahrain Bangladesh
Belarus Belgium Bhutan Bolivia Bosnia Botswana Brazil Brunei Bulgaria Burundi Cambodia Cameroon Canada Chad
Chile China Colombia Congo Croatia Cuba Cyprus Czechia Denmark Djibouti Ecuador Egypt Eritrea Estonia Eswatini
Ethiopia Fiji Finland France Gabon Gambia Georgia Germany Ghana Greece Guatemala Guinea Guyana Haiti Honduras
Hungary Iceland India Indonesia Iran Iraq Ireland Israel Italy Jamaica Japan Jordan Kazakhstan Kenya Kosovo
Kuwait Kyrgyzstan Kirghizia Laos Latvia Lebanon Lesotho Liberia Libya Liechtenstein Lithuania Luxembourg
Madagascar Malawi Malaysia Maldives Mali Malta Mauritania Mauritius Mexico Moldova Monaco Mongolia Montenegro
Morocco Mozambique Myanmar Burma Namibia Nepal Netherlands Holland Nicaragua Niger Nigeria Norway Oman Pakistan
Palestine Panama Paraguay Peru Philippines Poland Portugal Qatar Romania Russia Rwanda Senegal Serbia
Singapore Slovakia Slovenia Somalia Spain Sudan Suriname Sweden Switzerland Syria Taiwan Tajikistan Tanzania
Thailand Togo Tunisia Turkey Turkmenistan Uganda Ukraine Uruguay Uzbekistan Venezuela Vietnam Yemen Zambia
Zimbabwe England Scotland Wales Britain Tibet Chechnya Dagestan Tatarstan Bashkortostan Kashmir Xinjiang
"""

MULTIWORD_COUNTRIES = (
    "United States",
    "United States of America",
    "USA",
    "US",
    "America",
    "United Kingdom",
    "UK",
    "Great Britain",
    "Soviet Union",
    "USSR",
    "Russian Federation",
    "GDR",
    "East Germany",
    "West Germany",
    "Saudi Arabia",
    "United Arab Emirates",
    "UAE",
    "South Korea",
    "North Korea",
    "New Zealand",
    "South Africa",
    "Sri Lanka",
    "Czech Republic",
    "Kyrgyz Republic",
    "Islamic Republic of Iran",
    "Republic of Tajikistan",
    "Islamic State of Afghanistan",
    "Islamic Emirate of Afghanistan",
    "Central Asia",
    "Middle East",
    "South Asia",
    "Caucasus",
    "North Caucasus",
    "Europe",
    "Asia",
    "Africa",
    "Eurasia",
    "Scandinavia",
    "Balkans",
    "Siberia",
    "Persian Gulf",
    "Gulf",
    "West",
    "Ferghana Valley",
    "Fergana Valley",
)

CAPITALS = """
Kabul Tirana Algiers Yerevan Canberra Vienna Baku Manama Dhaka Minsk Brussels Sofia Ottawa Santiago Beijing
Bogota Zagreb Havana Nicosia Prague Copenhagen Cairo Tallinn Helsinki Paris Tbilisi Berlin Athens Budapest
Reykjavik Delhi Jakarta Tehran Teheran Baghdad Dublin Jerusalem Rome Tokyo Amman Astana Nur-Sultan Nairobi
Pristina Kuwait Bishkek Frunze Riga Beirut Tripoli Vilnius Luxembourg Valletta Chisinau Ulaanbaatar Podgorica
Rabat Kathmandu Amsterdam Wellington Abuja Skopje Oslo Muscat Islamabad Manila Warsaw Lisbon Doha Bucharest
Moscow Riyadh Dakar Belgrade Bratislava Ljubljana Mogadishu Seoul Madrid Colombo Khartoum Stockholm Bern
Damascus Taipei Dushanbe Bangkok Tunis Ankara Ashgabat Ashkhabad Kampala Kyiv Kiev London Washington Montevideo
Tashkent Caracas Hanoi Sanaa Lusaka Harare Kinshasa Addis Ababa Baghdad Ottawa Brasilia Mexico Lima Quito
Canberra Singapore Pyongyang
"""

# Large world cities and the places where international talks are held.
WORLD_CITIES = """
Istanbul Geneva Zurich Munich Hamburg Frankfurt Cologne Bonn Milan Barcelona Lyon Marseille Manchester
Birmingham Edinburgh Glasgow Oxford Cambridge Brooklyn Boston Chicago Houston Philadelphia Seattle
Toronto Montreal Vancouver Sydney Melbourne Mumbai Bombay Calcutta Kolkata Karachi Lahore Peshawar Quetta
Rawalpindi Shanghai Hongkong Urumqi Kashgar Dubai Jeddah Mecca Medina Karbala Najaf Qom Isfahan Shiraz Tabriz
Mashhad Meshed Zahedan Baku Novosibirsk Omsk Yekaterinburg Sverdlovsk Kazan Samara Volgograd Stalingrad
Rostov Orenburg Saratov Chelyabinsk Krasnoyarsk Irkutsk Petersburg Leningrad Vladivostok Smolensk Kursk
Krasnodar Sochi Almaty Alma-Ata Shymkent Chimkent Karaganda Samarkand Bukhara Namangan Andijan Ferghana
Fergana Kokand Termez Termiz Karshi Nukus Khiva Urgench Navoi Jizzakh Osh Jalal-Abad Batken Naryn Karakol
Tokmok Mary Turkmenabat Dashoguz Turkmenbashi Krasnovodsk Kandahar Jalalabad Nangarhar Versailles Potsdam
Yalta Dayton Westphalia Camp Davis Helsingfors Brussels Strasbourg Hague Davos Camp-David
"""

MULTIWORD_CITIES = (
    "New York",
    "Los Angeles",
    "San Francisco",
    "Saint Petersburg",
    "St Petersburg",
    "St. Petersburg",
    "The Hague",
    "Hong Kong",
    "New Delhi",
    "Camp David",
    "Addis Ababa",
    "Mazar-i-Sharif",
    "Mazar-e Sharif",
    "Mazar-e-Sharif",
    "Mazar i Sharif",
)

# Tajikistan: provinces, cities, districts (current and Soviet-era names), valleys, rivers, mountains.
TAJIKISTAN = """
Tajikistan Dushanbe Stalinabad Khatlon Sughd Sogd Soghd Leninabad GBAO Badakhshan Gorno-Badakhshan Pamir Pamirs
Karategin Karotegin Qarotegin Rasht Gharm Garm Tavildara Tavil-Dara Sangvor Vakhyo Vakhio Vahyo Darvoz Darvaz
Kalaikhum Qalai-Khumb Kalai-Khumb Qal'ai Khumb Vanj Rushan Roshan Shughnan Shugnan Shughnon Roshtqala Roshtkala
Ishkashim Ishkoshim Murghab Murghob Khorog Khorugh Kulob Kulyab Kulab Bokhtar Kurgan-Tyube Kurgan-Tube
Qurghonteppa Qurghon-Teppa Kurgantepa Vakhsh Kushoniyon Jaloliddini Rumi Kolkhozobod Jayhun Qumsangir
Kumsangir Dusti Jilikul Qubodiyon Kabodiyon Shahrituz Shaartuz Nosiri Khusrav Beshkent Khuroson Ghozimalik
Yovon Yavan Levakant Sarband Khojamaston Panj Pyanj Hamadoni Moskovsky Farkhor Vose Vose' Dangara Danghara
Temurmalik Sovetsky Baljuvon Khovaling Muminobod Shurobod Norak Nurek Tojikobod Lakhsh Jirgatol Jirgatal
Nurobod Darband Komsomolobad Rogun Faizobod Vahdat Kofarnihon Kafarnihon Ordzhonikidzeabad Varzob Hisor
Hissar Gissar Shahrinav Tursunzoda Regar Rudaki Obigarm Romit Ramit Khujand Khodjent Khojand Istaravshan
Ura-Tyube Uroteppa Isfara Konibodom Kanibadam Panjakent Penjikent Ayni Aini Mastchoh Matcha Zafarobod
Spitamen Asht Shahriston Ghonchi Ganchi Buston Chkalovsk Guliston Kayrakkum Qayroqqum Istiqlol Taboshar
Bobojon Ghafurov Gafurov Jabbor Rasulov Proletarsk Yaghnob Zarafshan Zeravshan Kofarnihon Kafirnigan Vakhsh
Surkhob Obikhingou Khingob Yakhsu Kyzylsu Gunt Bartang Sarez Iskanderkul Karakul Nurek Kayrakkum
Fann Hissor Alay Darvaz Peter Pamir Lenin
"""

AFGHANISTAN = """
Badakhshan Badghis Baghlan Balkh Bamyan Bamiyan Daykundi Farah Faryab Ghazni Ghor Helmand Herat Jowzjan
Kandahar Kapisa Khost Kunar Kunduz Kondoz Laghman Logar Nangarhar Nimroz Nuristan Paktia Paktika Panjshir
Panjsher Parwan Samangan Sar-e Pol Takhar Uruzgan Wardak Zabul Faizabad Fayzabad Taloqan Taluqan Talukan
Pul-i-Khumri Puli Khumri Mazar Sheberghan Shibirghan Maymana Charikar Bagram Jalalabad Imam Sahib
Dasht-i Qala Dashti Qala Khwaja Bahauddin Khoja Bahauddin Rustaq Chah Ab Yangi Qala Darqad Kalafgan
Farkhar Warsaj Keshem Jurm Baharak Wakhan Zebak Shighnan Ishkashim Khwahan Darwaz Ragh Kokcha Salang
Shibar Hairatan Termez Sher Khan Bandar Shir Khan Bandar Torkham Spin Boldak Tora Bora Khosdeh Khos Deh
Sakhi
"""

RIVERS_AND_MOUNTAINS = (
    "Amu Darya",
    "Amu-Darya",
    "Syr Darya",
    "Syr-Darya",
    "Oxus",
    "Hindu Kush",
    "Hindukush",
    "Tien Shan",
    "Tian Shan",
    "Karakoram",
    "Himalaya",
    "Himalayas",
    "Caspian",
    "Aral",
    "Volga",
    "Wakhan Corridor",
    "Rasht valley",
    "Vakhsh valley",
    "Karategin valley",
    "Panjshir valley",
    "Ferghana",
    "Pamir Highway",
)

# Public figures of the Tajik civil war, the peace process, the region and Afghanistan; poets and
# historical figures that respondents quote. Each string is one form that may appear in a transcript.
PUBLIC_FIGURES = (
    "Emomali Rahmon",
    "Emomali Rakhmonov",
    "Rahmon",
    "Rakhmonov",
    "Rahmonov",
    "Emomali",
    "Sayid Abdullo Nuri",
    "Said Abdullo Nuri",
    "Abdullo Nuri",
    "Nuri",
    "Akbar Turajonzoda",
    "Turajonzoda",
    "Turadzhonzoda",
    "Qazi Turajonzoda",
    "Mohammadsharif Himmatzoda",
    "Himmatzoda",
    "Davlat Usmon",
    "Rahmon Nabiev",
    "Nabiev",
    "Nabiyev",
    "Akbarsho Iskandarov",
    "Iskandarov",
    "Safarali Kenjaev",
    "Kenjaev",
    "Sangak Safarov",
    "Safarov",
    "Faizali Saidov",
    "Mahmud Khudoiberdiev",
    "Khudoiberdiev",
    "Khudoyberdiyev",
    "Yaqub Salimov",
    "Abdumalik Abdullojonov",
    "Abdullojonov",
    "Shodmon Yusuf",
    "Davlat Khudonazarov",
    "Khudonazarov",
    "Qahhor Mahkamov",
    "Mahkamov",
    "Otakhon Latifi",
    "Latifi",
    "Mirzo Ziyoev",
    "Ziyoev",
    "Rahmon Sanginov",
    "Mullo Abdullo",
    "Gaffor Mirzoev",
    "Ghaffor Mirzoev",
    "Mahmadruzi Iskandarov",
    "Muhiddin Kabiri",
    "Kabiri",
    "Abdujalil Samadov",
    "Ramiro Piriz-Ballon",
    "Piriz-Ballon",
    "Gerd Merrem",
    "Jan Kubis",
    "Boutros Boutros-Ghali",
    "Boutros-Ghali",
    "Kofi Annan",
    "Annan",
    "Yevgeny Primakov",
    "Primakov",
    "Andrei Kozyrev",
    "Kozyrev",
    "Boris Yeltsin",
    "Yeltsin",
    "Vladimir Putin",
    "Putin",
    "Mikhail Gorbachev",
    "Gorbachev",
    "Ali Akbar Velayati",
    "Velayati",
    "Akbar Hashemi Rafsanjani",
    "Rafsanjani",
    "Ayatollah Khomeini",
    "Khomeini",
    "Khamenei",
    "Islam Karimov",
    "Karimov",
    "Saparmurat Niyazov",
    "Niyazov",
    "Nursultan Nazarbayev",
    "Nazarbayev",
    "Askar Akayev",
    "Akayev",
    "Benazir Bhutto",
    "Bhutto",
    "Ahmad Shah Massoud",
    "Ahmad Shah Masood",
    "Massoud",
    "Masood",
    "Burhanuddin Rabbani",
    "Rabbani",
    "Abdul Rashid Dostum",
    "Dostum",
    "Gulbuddin Hekmatyar",
    "Hekmatyar",
    "Mullah Omar",
    "Mohammad Najibullah",
    "Najibullah",
    "Hamid Karzai",
    "Karzai",
    "Ashraf Ghani",
    "Abdullah Abdullah",
    "Zalmay Khalilzad",
    "Khalilzad",
    "Mullah Baradar",
    "Baradar",
    "Hibatullah Akhundzada",
    "Osama bin Laden",
    "Bin Laden",
    "Juma Namangani",
    "Namangani",
    "Tohir Yuldashev",
    "Harold Saunders",
    "Saunders",
    "Gennady Chufrin",
    "Vitaly Naumkin",
    "Aga Khan",
    "Prince Karim Aga Khan",
    "George Bush",
    "Bush",
    "Bill Clinton",
    "Clinton",
    "Barack Obama",
    "Obama",
    "Donald Trump",
    "Trump",
    "Joe Biden",
    "Biden",
    "Mike Pompeo",
    "Pompeo",
    "Lenin",
    "Stalin",
    "Marx",
    "Brezhnev",
    "Khrushchev",
    "Andropov",
    "Ismoil Somoni",
    "Somoni",
    "Rudaki",
    "Bedil",
    "Bidel",
    "Rumi",
    "Firdausi",
    "Ferdowsi",
    "Hafiz",
    "Hafez",
    "Saadi",
    "Jami",
    "Omar Khayyam",
    "Khayyam",
    "Sadriddin Ayni",
    "Mirzo Tursunzoda",
    "Tursunzoda",
    "Loiq Sherali",
    "Avicenna",
    "Ibn Sina",
    "Prophet Muhammad",
    "Muhammad",
    "Mohammed",
    "Allah",
    "God",
)

# International bodies, states' institutions and political or armed groups that are public actors.
ORGANISATIONS = (
    "UN",
    "United Nations",
    "UNMOT",
    "UNTOP",
    "UNHCR",
    "UNICEF",
    "UNDP",
    "UNESCO",
    "WFP",
    "World Food Programme",
    "Security Council",
    "UN Security Council",
    "General Assembly",
    "OSCE",
    "CSCE",
    "OIC",
    "CIS",
    "CSTO",
    "SCO",
    "NATO",
    "ISAF",
    "EU",
    "European Union",
    "European Commission",
    "European Parliament",
    "Council of Europe",
    "ICRC",
    "Red Cross",
    "Red Crescent",
    "International Committee of the Red Cross",
    "MSF",
    "Doctors Without Borders",
    "Human Rights Watch",
    "Amnesty International",
    "International Crisis Group",
    "World Bank",
    "IMF",
    "ADB",
    "Asian Development Bank",
    "USAID",
    "OSI",
    "Open Society Institute",
    "Soros Foundation",
    "Aga Khan Foundation",
    "Aga Khan Development Network",
    "AKDN",
    "MSDSP",
    "Mountain Societies Development Support Programme",
    "Kettering Foundation",
    "Dartmouth",
    "Dartmouth Conference",
    "Inter-Tajik Dialogue",
    "Public Committee for Democratic Processes",
    "UTO",
    "United Tajik Opposition",
    "Tajik opposition",
    "IRP",
    "IRPT",
    "Islamic Revival Party",
    "Islamic Renaissance Party",
    "Islamic Revival Party of Tajikistan",
    "Democratic Party",
    "Democratic Party of Tajikistan",
    "Communist Party",
    "Rastokhez",
    "Lali Badakhshan",
    "La'li Badakhshon",
    "Popular Front",
    "People's Front",
    "People's Democratic Party",
    "Commission on National Reconciliation",
    "National Reconciliation Commission",
    "Reconciliation Commission",
    "CNR",
    "General Agreement",
    "Majlisi Oli",
    "Supreme Soviet",
    "Parliament",
    "KGB",
    "GKNB",
    "FSB",
    "201st division",
    "201st Motor Rifle Division",
    "Russian border guards",
    "Border Guards",
    "Russian Army",
    "Red Army",
    "Soviet Army",
    "CIS peacekeeping forces",
    "Presidential Guard",
    "Taliban",
    "Northern Alliance",
    "United Front",
    "Jamiat",
    "Jamiat-e Islami",
    "Jamiat-i Islami",
    "Hezb-e Islami",
    "Hizb-i Islami",
    "Junbish",
    "Shura-e Nazar",
    "Supervisory Council",
    "High Peace Council",
    "Islamic Movement of Uzbekistan",
    "IMU",
    "Hizb ut-Tahrir",
    "al-Qaeda",
    "Al Qaeda",
    "ISIS",
    "Islamic State",
    "Mujahideen",
    "Tajikgas",
    "Barqi Tojik",
    "TALCO",
    "Tajik Air",
    "Somon Air",
    "Tajikistan Railways",
    "Khovar",
    "Asia-Plus",
    "Radio Ozodi",
    "Radio Liberty",
    "Radio Free Europe",
    "BBC",
    "Voice of America",
    "Facebook",
    "WhatsApp",
    "Telegram",
    "Skype",
    "Zoom",
    "Viber",
    "YouTube",
    "Google",
    "Internet",
)

# Peoples, nationalities, languages and religions: groups too large to identify anyone.
DEMONYMS = """
Tajik Tajiks Tajikistani Tadjik Uzbek Uzbeks Kyrgyz Kirghiz Kazakh Kazakhs Turkmen Afghan Afghans Pashtun
Pashtuns Pushtun Pathan Hazara Hazaras Aimaq Baluch Baloch Pamiri Pamiris Badakhshani Badakhshanis Kulobi
Kulobis Kulyabi Kulyabis Gharmi Gharmis Garmi Garmis Karategini Karateginis Khujandi Khujandis Leninabadi
Leninabadis Hisori Hissari Lakai Lakais Yaghnobi Yaghnobis Wakhi Shughni Ismaili Ismailis Sunni Sunnis Shia
Shiite Shiites Russian Russians Soviet Soviets Ukrainian Ukrainians Belarusian Iranian Iranians Persian
Persians Pakistani Pakistanis Indian Indians Chinese Turkish Turk Turks Arab Arabs Arabic American Americans
British Briton English Englishman Scottish Irish French Frenchman Frenchwoman German Germans Swiss Swede
Swedes Swedish Norwegian Norwegians Danish Dutch Finnish Austrian Austrians Polish Pole Poles Czech Italian
Italians Spanish Japanese Korean Korean Canadian Australian European Europeans Asian Asians Western
Westerners Caucasian Georgian Armenian Azerbaijani Azeri Chechen Chechens Tatar Tatars Bashkir Jewish Jew
Jews Christian Christians Muslim Muslims Moslem Islamic Islam Islamist Islamists Catholic Orthodox Buddhist
Hindu Hindi Urdu Dari Farsi Pashto Tajiki Russian Latin Cyrillic Sufi Sufis Salafi Salafis Wahhabi Wahhabis
Mujahid Mujahideen Bolshevik Bolsheviks Communist Communists Democrat Democrats Afghani Mongol Mongols
Sogdian Bactrian Samanid Samanids Timurid Kuchi
"""

# Capitalised words that are neither names nor identifying: calendar, religion, generic titles.
COMMON_TERMS = """
January February March April May June July August September October November December Monday Tuesday
Wednesday Thursday Friday Saturday Sunday Christmas Easter Navruz Nowruz Navroz Ramadan Ramazon Eid Idi Hajj
Quran Koran Bible Torah Prophet Sharia Imam Mullah Mullo Allah God Lord Inshallah Salaam Salam Assalomu
Assalamu Alaykum Alaikum Okay OK Mr Mrs Ms Miss Dr Doctor Professor Prof Sir Madam Colonel General Major
Captain Lieutenant Sergeant Commander President Minister Prime Deputy Chairman Ambassador Professor Comrade
Kalashnikov Volga Lada Kamaz Niva Zhiguli Toyota Mercedes UAZ BTR Soviet Cold War Internet COVID Covid
Corona Coronavirus CV PhD MA BA TV AIDS HIV NGO NGOs
"""

# Words that make an organisation's name a public, state-level body rather than a private employer.
PUBLIC_INSTITUTION_WORDS = frozenset(
    [
        "ministry",
        "ministries",
        "committee",
        "council",
        "commission",
        "parliament",
        "government",
        "assembly",
        "presidium",
        "party",
        "front",
        "army",
        "division",
        "guards",
        "forces",
        "border",
        "service",
        "agency",
        "mission",
        "office",
        "presidency",
        "administration",
        "republic",
        "state",
        "national",
        "supreme",
        "emergency",
        "situations",
        "customs",
        "security",
        "defence",
        "defense",
        "interior",
        "internal",
        "affairs",
        "foreign",
        "justice",
        "finance",
        "economy",
        "health",
        "education",
        "agriculture",
        "energy",
        "labour",
        "labor",
        "migration",
        "federal",
        "general",
        "united",
        "democratic",
        "islamic",
        "revival",
        "reconciliation",
        "peace",
        "dialogue",
        "delegation",
        "opposition",
        "court",
        "procuracy",
        "prosecutor's",
        "prosecutor",
        "general's",
        "police",
        "militia",
        "embassy",
        "consulate",
        "the",
        "of",
        "for",
        "and",
        "on",
    ]
)

HONORIFICS = frozenset(
    [
        "mr",
        "mr.",
        "mrs",
        "mrs.",
        "ms",
        "ms.",
        "miss",
        "dr",
        "dr.",
        "doctor",
        "prof",
        "prof.",
        "professor",
        "sir",
        "madam",
        "colonel",
        "col",
        "general",
        "gen",
        "major",
        "captain",
        "lieutenant",
        "sergeant",
        "commander",
        "comrade",
        "mullo",
        "mullah",
        "mulla",
        "domla",
        "haji",
        "hoji",
        "hajji",
        "ustod",
        "ustad",
        "ustoz",
        "bibi",
        "aka",
        "apa",
        "opa",
        "sahib",
        "saheb",
        "agha",
        "agha-ye",
        "aghaye",
        "khan",
        "jon",
        "mirzo",
        "sayid",
        "sayyid",
        "eshon",
        "qori",
        "qozi",
        "kazi",
        "hakim",
        "shaykh",
        "sheikh",
        "imam",
        "deputy",
        "minister",
        "chairman",
        "ambassador",
        "judge",
        "brother",
        "sister",
        "uncle",
        "aunt",
    ]
)


@lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """Comparison form: case-folded, accents and possessives removed, hyphens and spaces unified."""
    folded = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()
    folded = re.sub(r"'s$|^the\s+", "", folded.strip())
    return re.sub(r"[\s\-\u2010-\u2015]+", " ", folded).strip(" .,;:'\"")


def _words(block: str) -> list[str]:
    return block.split()


class KeepList:
    """Public names that survive de-identification, compared in normalised form."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        names: list[str] = []
        for block in (COUNTRIES, CAPITALS, WORLD_CITIES, TAJIKISTAN, AFGHANISTAN):
            names.extend(_words(block))
        names.extend(MULTIWORD_COUNTRIES)
        names.extend(MULTIWORD_CITIES)
        names.extend(RIVERS_AND_MOUNTAINS)
        names.extend(PUBLIC_FIGURES)
        names.extend(ORGANISATIONS)
        self.names = {normalise(name) for name in names}
        self.extra = {normalise(name) for name in extra if name.strip()}
        self.names |= self.extra
        self.groups = {normalise(word) for word in _words(DEMONYMS)}
        self.common = {normalise(word) for word in _words(COMMON_TERMS)}
        self._memo: dict[str, bool] = {}

    def is_public(self, text: str) -> bool:
        """True when the whole name, or each capitalised word of it, is a known public name."""
        known = self._memo.get(text)
        if known is None:
            known = self._memo[text] = self._is_public(text)
        return known

    def _is_public(self, text: str) -> bool:
        key = normalise(text)
        if not key:
            return False
        if key in self.names or key in self.groups or key in self.common or key in self.extra:
            return True
        if self._is_derived_group(key):
            return True
        return self._all_words_public(text)

    def is_common_word(self, word: str) -> bool:
        key = normalise(word)
        return key in self.common or key in self.groups

    def _is_derived_group(self, key: str) -> bool:
        """'Kulobis', 'Pamiri': people named after a listed place are a large group, not a person."""
        for suffix in ("is", "i", "s", "ians", "ian", "ers", "er", "tsy", "lik"):
            if key.endswith(suffix) and key[: -len(suffix)] in self.names:
                return True
        return False

    def _all_words_public(self, text: str) -> bool:
        words = [w for w in re.split(r"[\s\-]+", text.strip()) if w]
        capitalised = [w for w in words if w[:1].isupper()]
        if len(words) < 2 or not capitalised:
            return False
        named = 0
        for word in capitalised:
            key = normalise(word)
            if key in self.names or key in self.groups or self._is_derived_group(key):
                named += 1
            elif key not in PUBLIC_INSTITUTION_WORDS and key not in self.common:
                return False
        return named > 0 or all(normalise(w) in PUBLIC_INSTITUTION_WORDS for w in capitalised)
