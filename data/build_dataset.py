"""Build the bundled tiern dataset (facilities, links, owners, demand, reference shares).

This script is the editable source of the CSVs in this folder: every number sits next to its
source, basis and, for estimates, the method.  Run it with plain Python 3.11 (standard library
only) from the repository root:

    python data/build_dataset.py

It rewrites data/facilities.csv, data/links.csv, data/owners.csv, data/demand.csv and
data/reference/stage_shares.csv.  See data/README.md for the data card.
"""
from __future__ import annotations

import csv
import os

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------------------------------------
# Sources (short keys -> full citation).  A reader can trace any number through these.
# ---------------------------------------------------------------------------------------------
S = {
    "usgs": "USGS Mineral Commodity Summaries 2026, Rare Earths, world mine production 2025 (data release MCS2026_Commodities_Data.csv; https://pubs.usgs.gov/periodicals/mcs2026/mcs2026-rare-earths.pdf)",
    "usgs_heavy": "USGS Mineral Commodity Summaries 2026, Rare Earths (Heavy) chapter (https://pubs.usgs.gov/periodicals/mcs2026/mcs2026-rare-earths.pdf)",
    "quota_h1_2024": "https://www.fastmarkets.com/insights/china-issues-first-batch-of-rare-earths-quotas-for-2024",
    "creg_quota": "https://projectblue.com/blue/news-analysis/757/china-increases-total-rare-earth-production-quota-by-12.5precent-in-h1-2024-",
    "sep_quota": "https://starfeu.com/?p=5920 (China 2024 smelting/separation quota 254,000 t REO; secondary)",
    "huamei": "https://metalnomist.com/2024/12/chinas-northern-rare-earth-forms-joint.html",
    "nre_alloy": "https://www.argusmedia.com/metals-platform/newsandanalysis/article/2696348-China-s-NdFeB-output-capacity-to-grow-on-strong-demand",
    "shenghe_leshan": "https://roskill.com/news/rare-earths-flooding-affects-china-lree-production/",
    "jlmag": "http://www.earths-book.com/index-969.html",
    "jlmag_baotou": "https://rareearthexchanges.com/news/jl-mag-expands-as-chinas-magnet-giant-adds-20000-tpa-in-baotou-phase-iii-project",
    "jlmag_mx": "https://www.thebambooworks.com/fast-news-jl-mag-to-build-magnetic-steel-composite-recycling-project-in-mexico/",
    "zksh_2013": "http://www.sbwire.com/press-releases/china-rare-earth-permanent-magnet-industry-report-2012-2015-market-research-report-296101.htm",
    "zksh_2022": "https://chinastockmarketnews.com/post/140522.html",
    "yunsheng": "https://chinastockmarketnews.com/post/296213.html",
    "kachin": "https://worldenergynews.com/news/group-armed-men-claims-have-taken-control-753833",
    "kachin_kia": "https://www.irrawaddy.com/news/burma/myanmars-kia-says-rare-earth-mining-set-to-resume-in-pangwa-chipwi-area.html",
    "laos": "https://rawmaterials.net/canada-rare-earth-announces-acquisition-of-a-refinery-in-laos/",
    "vtre": "https://theprojectbluegroup.com/blue/news-analysis/575/vietnam-continues-charge-to-offer-alternative-to-chinese-rare-earth-permanent-magnets--",
    "mp_fy25": "https://investingnews.com/mp-materials-reports-fourth-quarter-and-full-year-2025-results/",
    "mp_q4": "https://www.tradevae.com/news/earnings/MP/mp-materials-q4-2025-earnings-call-ndpr-production-doubled-magnets-commercial-scale-10x-site-set",
    "mp_indep": "https://www.marketscreener.com/quote/stock/MP-MATERIALS-CORP-108730348/news/MP-Materials-Restores-U-S-Rare-Earth-Magnet-Production-48837729/",
    "mp_dod": "https://defence-industry.eu/mp-materials-and-u-s-department-of-defense-partner-to-build-rare-earth-magnet-supply-chain-for-america",
    "mp_gm": "https://finviz.com/news/167594/mp-materials-races-ahead-in-us-magnet-manufacturing-can-it-deliver",
    "mp_apple": "https://www.daily8.com/en/article/8eccba4012d749035704a2cf9a6abb0a",
    "mp_2021": "https://www.publicnow.com/view/618289E6618A29F740FEEFD8535999214269B20C",
    "mtweld": "https://www.australianmining.com.au/lynas-mt-weld-gets-a-boost/",
    "lynas_fy25": "https://www.middle.news/articles/2025/08/27/lynas-accelerates-rare-earths-growth-with-record-production-and-750m-raise",
    "lynas_q1fy26": "https://rawmaterials.net/lynas-reports-record-quarter-expands-japan-supply-chain",
    "lynas_hre": "https://fastmarkets.com/insights/lynas-to-produce-dysprosium-terbium-oxide-in-malaysia",
    "lynas_hre2": "https://rawmaterials.net/lynas-expands-heavy-rare-earth-production-in-malaysia",
    "lynas_dy": "https://www.australianmining.com.au/lynas-produces-worlds-first-dysprosium-outside-of-china/",
    "lynas_tx": "https://www.metalnomist.com/2026/02/lynas-texas-rare-earth-processing-plant.html",
    "silmet": "https://www.argusmedia.com/de/news-and-insights/latest-market-news/2465359-magnequench-starts-building-estonia-re-magnet-plant",
    "narva": "https://www.automotiveworld.com/articles/neo-opens-estonia-rare-earth-plant-to-cut-eu-reliance-on-china/ ; https://rohstoff.net/?p=13915 (Neo Q3 2025: Narva production to begin mid-2026, capacity 2,000 t/yr, expandable to 5,000 t/yr)",
    "solvay": "https://24brussels.online/?p=13798",
    "whitemesa": "https://engineeringnews.co.za/print-version/energy-fuels-achieves-commercial-production-of-separated-rare-earths-at-white-mesa-2024-06-11",
    "eneabba": "https://wa.gov.au/government/announcements/australias-first-integrated-rare-earths-refinery",
    "nolans": "https://nsenergybusiness.com/news/arafura-announces-project-update-for-nolans-ndpr-project-in-australia",
    "nolans_hyundai": "https://www.australianmining.com.au/news/arafura-powers-korean-car-giants/",
    "serraverde": "https://www.mining.com/web/brazils-only-rare-earth-producer-offers-us-stake-option-for-loan-deal",
    "src": "https://canadianminingjournal.com/?p=1003772296",
    "lcm": "https://ng.investing.com/news/company-news/usa-rare-earth-completes-acquisition-of-less-common-metals-93CH-2215514",
    "usar": "https://www.mrchub.com/news/419504-usa-rare-earth-to-buy-uk-based-rare-earth-metal-producer",
    "evac": "https://fastmarkets.com/insights/e-vac-to-build-rare-earth-magnet-plant-in-south-carolina",
    "evac_gm": "http://www.theitem.com/stories/sumters-new-evac-plant-gets-111m-in-tax-credits,414029",
    "vac": "https://www.pm-review.com/new-us-magnet-factory-to-supply-gms-electric-vehicle-production/",
    "noveon": "https://noveon.co/noveon-jumpstart",
    "noveon_nidec": "https://noveon.co/san-antonio-deal",
    "vulcan": "https://www.manufacturingdive.com/news/vulcan-elements-benson-north-carolina-magnet-facility-defense-rare-earth/806075",
    "osc": "https://www.war.gov/News/Releases/Release/Article/4339788/office-of-strategic-capital-agrees-to-joint-700m-conditional-loan-commitment-wi",
    "ucore": "https://rareearthexchanges.com/news/ucore-rare-metals-announces-new-award-from-department-of-defense",
    "aclara_us": "https://www.mining.com/aclara-jumps-on-us-rare-earth-plant-plan",
    "aclara_br": "https://secure.northernminer.com/news/aclara-opens-heavy-rare-earths-pilot-plant-in-brazil/1003878037",
    "torngat": "https://www.mining.com/torngat-eyes-strange-lake-feasibility-study-as-timing-slips-for-quebec-rare-earths-project",
    "hypromag": "https://projectblue.com/blue/news-analysis/1403/mkango,-hypromag-and-the-university-of-birmingham-open-the-tyseley-rare-earth-magnet-recycling-plant",
    "rainbow": "https://rawmaterials.news/africas-rare-earth-elements-projects",
    "longonjo": "https://www.orepulse.com/news/Pensana-draws-down-first-equity-tranche-funding-from-Angolan-fund-for-Longonjo-construction",
    "saltend": "http://www.miningweekly.com/print-version/longonjo-neodymiumpraseodymium-project-angola-update-2024-01-12",
    "tanbreez": "https://middle.news/articles/2025/10/01/critical-metals-secures-925-stake-in-greenlands-tanbreez-rare-earths-project",
    "kvanefjeld": "https://newsletter.mw.creamermedia.com/article/key-procedural-decision-in-kvanefjeld-case-2025-10-29",
    "shinetsu_vn": "https://www.shinetsu.co.jp/en/news/news-release/shin-etsu-chemical-to-double-its-production-capacity-of-rare-earth-magnets-in-vietnam/",
    "shinetsu_jp": "https://chemengonline.com/shin-etsu-to-construct-rare-earth-magnet-plant-in-vietnam",
    "overseas_cap": "https://www.couragemagnet.com/magnet-blog/871.html (overseas NdFeB capacity list, end-2022; vendor blog)",
    "proterial": "https://www.daily8.com/en/hashtag/Proterial (Mint, 2025: Proterial Japan capacity not public; China plant >2,000 t)",
    "japan_hre_free": "https://thongtin.vietnam.vn/en/nhat-ban-phat-trien-nam-cham-khong-chua-dat-hiem-de-tranh-phu-thuoc-trung-quoc",
    "tdk_cn": "http://institut-seltene-erden.org/en/tdk-overcomes-resistance-and-Grundet-Japanese-Chinese-rare-earth-magnet-company/",
    "daido": "http://www.molycorp.com/about-us/our-facilities/nakatsugawa (Intermetallics Japan: Molycorp 30.0%, Daido 35.5%, Mitsubishi 34.5%; initial 500 t/yr sintered NdFeB plant in Nakatsugawa) ; http://www.japanmetalbulletin.com/?p=19960 (commercial operation January 2013, ~500 t/yr in 2014, building sized for 1,000 t/yr)",
    "sgi": "https://rareearthexchanges.com/news/magnet-manufacturing",
    "jslink": "https://www.projectblue.com/blue/news-analysis/1304/js-link-america-announces-construction-of-ndfeb-magnet-facility-in-georgia,-usa",
    "vn_magnets": "https://www.marketscreener.com/quote/stock/APPLE-INC-4849/news/Exclusive-Rare-earths-magnet-firms-turn-to-Vietnam-in-China-hedge-44665610/",
    "ford": "https://www.cbtnews.com/ford-faces-production-setbacks-amid-rare-earth-magnet-shortage/",
    "argus_ndfeb": "https://www.argusmedia.com/metals-platform/newsandanalysis/article/2641705-Viewpoint--China-s-rare-earth-sector-faces-tough-2025 (Acrei: China NdFeB output ~300,000 t in 2024)",
    "pb_exchina": "https://www.projectblue.com/blue/news-analysis/1304/js-link-america-announces-construction-of-ndfeb-magnet-facility-in-georgia,-usa (ex-China NdFeB capacity 23.75 kt/yr)",
    "lcm_cells": "https://mmta.co.uk/less-common-metals-building-a-sustainable-ree-supply-chain/ (MMTA interview with LCM's general manager, undated, c. 2022-23: Nd/NdPr metal by molten-salt electrolysis, expanding from 2 cells to 6 cells, ~55 t per cell a year, to ~330 t/yr 'as and when the demand increases'; SmCo alloy by co-reduction)",
    "lcm_lacq": "https://us.advfn-editors.com/2026/01/20/usa-rare-earth-shares-edge-up-on-plans-for-french-rare-earth-metals-facility (USA Rare Earth, 20 Jan 2026: LCM Europe SAS to build a 3,750 t/yr rare earth metal and alloy plant in Lacq, France, beside Carester's Caremag oxide plant; French C3IV credits up to 45% of equipment and up to EUR130M for real estate) ; https://www.fastmarkets.com/insights/lcm-rare-earth-magnet-supply-europe (LCM, 20 May 2025: EUR110M plant planned in Lacq)",
    "sdk_vn": "https://www.sdk.co.jp/english/news/2008/aanw_08_0958.html (Showa Denko, 8 Oct 2008: Showa Denko Rare-Earth Vietnam, Ha Nam, 90% SDK, 800 t/yr didymium (NdPr) and Dy metal from April 2010) ; http://www.japanmetalbulletin.com/?p=19091 (2011: full 800 t/yr targeted for 2012) ; https://theprojectbluegroup.com/news-details/ndpr-metal-production-commissioned-at-south-korean-plant (Project Blue, 2022: Vietnam and Thailand are the only significant volume sources of rare earth metals outside China, locked into Japanese magnet makers)",
    "vtre_ownership": "https://treo.substack.com/p/vietnam-re-fake-news-policy-details (3 Sep 2023: VTRE's ownership is ambiguous; Shenghe's Vietnamese holding traced to Integral Materials Investment Vietnam JSC, from 40% in 2014) ; https://www.straitstimes.com/asia/se-asia/vietnam-arrests-6-people-seizes-13715-tonnes-of-ore-in-rare-earth-case (Oct 2023: VTRE's chairman arrested)",
    "ksm_2025": "https://magneticsmag.com/australian-strategic-materials-raises-55m-to-double-alloy-production-advance-growth-plans (ASM, 20 Oct 2025: A$55M raised to complete Phase 2 at the Korean Metals Plant, doubling NdFeB alloy capacity to 3,600 t/yr; full plant capacity 5,600 t/yr) ; https://investingnews.com/australian-strategic-rare-earths-enquiries/ (ASM, 6 Jun 2025: NdPr metal and NdFeB alloy sales; oxide from stock and an Australian supplier, talks with Ucore)",
    "ksm_usar": "https://secure.northernminer.com/news/asm-inks-deal-to-sell-rare-earths-to-us-magnet-maker/1003857446 (2023: five-year agreement for KSM NdFeB alloy to USA Rare Earth's Stillwater plant, ~60% of its needs, first supply expected 2024)",
    "jp_alloy": "https://interlink-ma.co.jp/attention/20151111.html (2015: Chuo Denki Kogyo's magnet-alloy business sold to Santoku and Sojitz) ; https://roskill.com/news/rare-earths-tdk-acquires-showa-denko-rd-branch-of-magnet-alloys/ (2019: TDK takes over Showa Denko's Nd magnet-alloy R&D) ; https://www.motioncontrolonline.org/content-detail.cfm/Motion-Control-Tech-Papers/Hitachi-Metals-Ltd-announces-that-it-will-purchase-Santoku-Corporation-Santoku-a-rare-earth-material-maker/content_id/2299 (Hitachi Metals, now Proterial, to make Santoku a subsidiary)",
    "argus_prnd_2024": "https://www.argusmedia.com/metals-platform/newsandanalysis/article/2641705-Viewpoint--China-s-rare-earth-sector-faces-tough-2025 (Argus viewpoint, end-2024, market participants: China's 2024 output of Pr-Nd metal ~88,000 t and Pr-Nd oxide ~106,000 t; consumption ~80,000 t metal and ~96,000 t oxide; Tb metal ~380 t)",
    "argus_recycled_2024": "https://www.argusmedia.com/metals-platform/newsandanalysis/article/2678157-China-s-recycled-rare-earth-output-falls-in-2024 (Argus, 2025, Ji'an Xintai: China's REO from NdFeB scrap 34,147 t in 2024, of which 26,504 t Pr-Nd oxide; scrap ~25-30% of magnet output)",
    "nremm_2024": "https://metalnomist.com/2024/09/chinas-northern-rare-earth-increases.html (Metalnomist, Sep 2024: Northern Rare Earth Magnetic Material output a record 4,000 t in April 2024 and >6,000 t expected in August; Jan-Aug output +18% y/y; target 150,000 t/yr of high-performance NdFeB alloy by end-2025; formed Dec 2022 from Baogang Magnetic Materials, Ningbo Zhanhao, Beijing Sanjili and Anhui Permanent Magnet)",
    "proterial_bain": "https://www.avcj.com/avcj/news/3028066/bain-led-consortium-closes-tender-for-japans-hitachi-metals (AVCJ, 2022: Bain Capital-led consortium with Japan Industrial Partners and Japan Industrial Solutions completes its tender offer for Hitachi Metals; Hitachi sells its 53.4% and does not reinvest; delisting and renaming to Proterial) ; https://bebeez.eu/2024/03/08/avcj-awards-2023-firm-of-the-year-large-cap-bain-capital (AVCJ, 2024: the JPY 817bn Proterial buyout completed in 2023)",
    "smm_june": "https://atechmagnet.cn/news/june-analysis-and-july-forecast-of-ree-output (SMM monthly survey, June 2024: Pr-Nd oxide 7,325 t, Pr-Nd alloy 5,994 t, Dy oxide 214 t, Tb oxide 40.8 t; also https://news.metal.com/newscontent/102862116)",
    "iea_2024": "IEA Global Critical Minerals Outlook 2024 via SEAISI (secondary): https://seaisi.org/details/24787?type=news-rooms (China 92% of global refined output of magnet rare earths in 2023, Malaysia 5%)",
    "iea_2025": "IEA commentary 23 Oct 2025 via Rare Earth Exchanges (secondary): https://rareearthexchanges.com/news/the-mineral-chessboard-iea-sounds-alarm-as-china-tightens-its-grip ; basis: IEA Global Critical Minerals Outlook 2025 (21 May 2025), chart 'Geographical distribution of refined material production for key minerals in the base case' (https://www.iea.org/topics/critical-minerals): shares of refined production, 2024",
    "iea_magnets": "IEA Oct 2025 commentary via REEx (secondary) and Reuters/DOE: https://www.marketscreener.com/quote/stock/APPLE-INC-4849/news/Exclusive-Rare-earths-magnet-firms-turn-to-Vietnam-in-China-hedge-44665610/",
    "mp_metal_share": "MP Materials as reported (secondary): https://exbulletin.com/world/international/1962253/",
    "s232": "https://mayerbrown.com/en/insights/publications/2022/10/biden-administration-concludes-section-232-investigation-into-imports-of-ndfeb-magnets-but-does-not-impose-tariffs",
    "acrei_demand": "https://metalnomist.com/2024/12/global-magnet-demand-trends-and.html (Acrei: NEV 35% of NdFeB demand, 2024)",
    "ev_kg": "https://www.mainrichinternational.com/applications/ev-motors (about 1.2 kg sintered NdFeB per 100 kW peak motor power) ; https://www.thevoltbridge.com/learn/magnets (1-2 kg per EV drive motor)",
    "wind_tmw": "Heim & Vander Wal, Minerals 2023, 13(10), 1274, https://doi.org/10.3390/min13101274 (0.5 t NdFeB per MW average for PM turbines; 0.625-0.85 t/MW low-speed direct drive)",
    "qual_auto": "https://www.mainrichinternational.com/resources/articles/qualify-chinese-ndfeb-supplier-tier-1-automotive-robotics-playbook (4-7 months for an existing grade) ; MP still in auto PPAP >12 months after trial production: https://www.tradevae.com/news/earnings/MP/mp-materials-q4-2025-earnings-call-ndpr-production-doubled-magnets-commercial-scale-10x-site-set",
    "auto_jit": "https://miningbusinessinsights.blogspot.com/2025/06/chinaautos-rees-magnets.html (Alliance for Automotive Innovation letter, May 2025: just-in-time inventories of typically only 2-4 weeks of critical components) ; https://www.financetom.com/business/auto-companies-in-full-panic-over-rareearths-bottleneck-384841.htm (Reuters, 9 June 2025: plants could be idled by mid-July; several European supplier plants already shut)",
    "inventory": "https://www.cbtnews.com/ford-faces-production-setbacks-amid-rare-earth-magnet-shortage/ (Ford hand-to-mouth) ; US auto inventories 2-3 months attributed to CSIS (secondary, low confidence): https://www.ainvest.com/news/rare-earths-ev-crossroads-navigating-ford-supply-crisis-strategic-gains-2506",
    "f35": "https://www.pulse.bot/defense/news/how-much-rare-earths-does-an-f-35-really-contain-de58adad-63fb-4f8f-b887-377674870f67/ (Adamas Intelligence 2026: F-35 holds ~23 kg SmCo alloy + 8-20 kg NdFeB alloy; GAO 2024: DoD REE demand <0.1% of global; the 417 kg CRS figure counts REE-bearing parts)",
    "auto_units": "2024 deliveries: Tesla 1,789,226 (https://driveteslacanada.ca/news/tesla-posts-record-q4-deliveries-annual-sales-decline-1), BYD 4,272,145 NEVs (https://mixedtimes.com/news/sales-surge-in-2024-for-chinese-ev-giant-byd), VW Group 744,800 BEVs (https://infonowcast.com/en/volkswagen-group-s-electric-vehicle-sales-face-challenges-in-2024); others approximate; x magnet intensity from https://www.mainrichinternational.com/applications/ev-motors and https://www.thevoltbridge.com/learn/magnets",
    "neo_shenghe": "https://6ix.com/company/neo-performance-materials-inc/news/neo-completes-sale-of-majority-equity-interest-of-china-rare-earth-separation-assets (Neo, 1 Apr 2025: sale to a Shenghe Resources affiliate of 86% of JAMR and 88% of ZAMR completed; ZAMR closed in Q2 2024) ; https://ca.advfn.com/stock-market/TSX/NEO/stock-news/94412221/neo-announces-agreement-to-sell-majority-equity-in (Neo, 20 Aug 2024: Neo keeps 9% of JAMR and exclusive rights to distribute JAMR's heavy rare earth products outside China for 5 years)",
    "neo_cn": "https://sustainability2022.neomaterials.com/supply-chain/ (Neo: ZAMR ~1,500 t and JAMR ~1,100 t REO processing quotas; Silmet feed from Australia via Malaysia, Russia, China, Vietnam)",
    "lynas_noveon": "https://www.prnewswire.com/news-releases/noveon-magnetics-and-lynas-rare-earths-partner-to-advance-us-rare-earth-magnet-supply-chain-302578331.html (non-binding MoU, 8 Oct 2025)",
    "reetec": "https://siva.no/virkemidler/byggeprosjekter/reetec-heroya/ (720 t/yr NdPr oxide from H2 2024) ; https://magneticsmag.com/reetec-rare-earths-separation-plant-in-norway-to-start-up-soon (ready for raw material early 2025) ; LKAB largest owner: https://businessportal-norwegen.com/tag/heroya/",
    "caremag": "https://chemengonline.com/carester-to-build-rare-earth-recycling-and-refining-facility-in-france ; https://carester.fr/en/caremag (2,000 t magnets + 5,000 t concentrates; 150 t Pr, 650 t Nd, 500 t Dy, 90 t Tb oxide at run rate; start-up end 2026)",
    "caremag_stellantis": "https://rareearthexchanges.com/news/carester-frances-emerging-rare-earth-refining-specialist (10-year offtake with Stellantis)",
    "ksm": "https://www.argusmedia.com/en/news-and-insights/latest-market-news/2211866-asm-considers-south-korean-metals-plant (5,200 t/yr incl. 1,900 t NdFeB alloy, 72 t Dy at full production) ; oxide from Vietnam, NdFeB alloy sale to Noveon: https://magneticsmag.com/asm-produces-neo-metal-alloy-at-new-plant-in-south-korea-while-progressing-on-rare-earths-mine-site-in-australia ; https://bxzhyl.com/blog/rare-earths-dubbo-project-growing-korea-relationship.html",
    "heraeus": "https://www.heraeus.com/en/landingspages/hrm/news_and_press/material/20240514_pm_startmeldung.html (600 t/yr, expandable to 1,200 t)",
    "smm_magnets": "https://news.metal.com/newscontent/102788751/smm-ndfeb-production-to-continue-rising-in-2024-outlook-for-rare-earth-demand-in-automobiles-wind-power-and-home-appliances (SMM: China RE permanent magnet output ~240,000 t in 2023, ~260,000 t expected 2024)",
    "ef_2024": "https://advfn.com/stock-market/TSX/EFR/stock-news/94012899/energy-fuels-achieves-commercial-production-of-on (Phase 1 850-1,000 t/yr NdPr; monazite from Chemours Florida/Georgia) ; https://investingnews.com/energy-fuels-now-producing-heavy-rare-earth-element-oxides/ (pilot Dy oxide 2025)",
    "src_feed": "https://www.greencarcongress.com/2021/09/20210906-src.html (SRC needs 3,000 t/yr monazite concentrate at ~60% TREO; procured up to 800 t from INB, Brazil) ; https://electricautonomy.ca/news/2024-03-20/saskatchewan-federal-rare-earth-funding (3,000 t monazite in, ~400 t RE metals out per year)",
    "solvay_cap": "https://rawmaterials.net/neodymium-praseodymium-solvay-aims-to-supply-30-of-europes-demand/ (La Rochelle produces ~4,000 t RE products/yr, mainly catalysts; supply deal with Cyclic Materials for mixed RE oxides from 2024) ; https://specchemonline.com/node/10107 (2,000-5,000 t REO possible)",
    "solvay_us": "https://www.belganewsagency.eu/solvay-signs-two-supply-deals-for-rare-earth-elements-with-us-partners (Noveon: Nd, Pr, Dy, Tb from 2026; Permag/LCM: samarium)",
    "hastings": "https://investornews.com/critical-minerals-rare-earths/solvay-rare-earths-starts-making-noise-in-the-rare-earth-sector/?print=print (non-binding MOU, Oct 2022: 2,500 t/yr MREC from Yangibana to Solvay)",
    "ngualla": "https://scrapinsight.com/2024/07/shenghe-resources-acquires-major-stake.html (Shenghe 19.9% of Peak since 2022; 100% concentrate offtake; 37,200 t/yr concentrate from 800,000 t/yr ore; reserves 4.8% REO; Shenghe 18.2% of Vital Metals) ; https://rareearthexchanges.com/news/shenghe-subsidiary-chenguang-acquires-peak-rare-earths-to-accelerate-tanzanias-ngualla-project (May 2025 binding agreement to acquire 100% of Peak)",
    "cn_dy_exports": "https://rawmaterials.net/exports-of-dysprosium-and-terbium-decline-sharply-in-2025-as-destination-markets-shift",
    "creg_owners": "https://www.cmgroup.net/news/china-re-group-established/",
    "nre_owner": "https://news.metal.com/newscontent/101567987/major-shareholders-of-rare-earths-in-north-china-plan-to-reduce-their-holdings-by-25-with-a-market-capitalization-of-about-41-billion",
    "laos_chijin": "https://rawmaterials.net/canada-rare-earth-announces-acquisition-of-a-refinery-in-laos/",
    "jare": "https://rawmaterials.net/lynas-reports-record-quarter-expands-japan-supply-chain",
    "mp_hre": "https://www.metalnomist.com/2026/01/mp-materials-dysprosium-and-terbium.html (heavy rare earth circuit processing ~3,000 t/yr of feedstock, >200 t/yr Dy+Tb once ramped, Dy:Tb ~3:1, start by mid-2026)",
    "mp_owners_2025": "https://rareearthexchanges.com/news/mp-materials-insider-selling-federal-backstops-and-the-anatomy-of-too-big-to-fail/ (27 Dec 2025: Schedule 13G/A, Shenghe Resources reduced to 3.1%; US government effective ~15% through preferred equity and warrants) ; https://www.adhocnews.de/boerse/news/ueberblick/mp-materials-a-strategic-pivot-in-ownership-and-focus/68436776",
    "usar_commerce": "https://www.defensedaily.com/u-s-taking-equity-stake-in-mining-company-usa-rare-earth/business-financial/ (26 Jan 2026: non-binding letter of intent with the Commerce Department, CHIPS funding: US$277M and a US$1.3B loan; 16.1M shares plus ~17.6M warrants) ; https://markets.businessinsider.com/news/stocks/usa-rare-earth-usar-stock-rallies-on-1-6-billion-chips-program-support-1035747047 (about 8-16% fully diluted)",
    "nre_quota_2024": "https://www.metalnomist.com/2025/05/baogang-to-boost-rare-earth-concentrate.html (May 2025: NRE's 2024 mining quota 188,650 t REO, 75% of China's light-REE quota; Baogang supplies all its concentrate to NRE; Baogang concentrate 370,000 t in 2024, 390,000 t planned for 2025 at ~50% REO)",
    "usar_chips": "https://www.einpresswire.com/article/886608115/the-department-of-commerce-s-chips-program-announces-a-letter-of-intent-with-usa-rare-earth-to-accelerate-its-domestic-and-vertically-integrated (US Department of Commerce CHIPS Program Office, 26 Jan 2026: Stillwater to increase NdFeB magnet capacity to 10,000 t/yr and add on-site metallization and strip-casting of 10,000 t/yr of rare earth metals and alloys) ; https://www.globalminingreview.com/exploration-development/28012026/usa-rare-earth-announces-letter-of-intent-with-the-us-government",
    "vulcan_deal": "https://www.prnewswire.com/news-releases/vulcan-elements-forges-1-4-billion-partnership-with-the-united-states-government-and-reelement-technologies-to-expand-100-vertically-integrated-domestic-magnet-supply-chain-302602878.html (3 Nov 2025: 10,000 t magnet facility; US$620M Office of Strategic Capital loan, US$50M CHIPS incentives and US$50M Commerce equity, Department of War warrants) ; https://www.prnewswire.com/news-releases/vulcan-elements-selects-benson-north-carolina-for-1-billion-magnet-facility-302619130.html (18 Nov 2025: Benson site) ; https://www.tectonicdefense.com/?p=1050 (initial operations expected 2027)",
    "vulcan_pilot": "https://ipacbiz.com/vulcan-elements-secures-pentagon-contracts-as-65m-funding-round-supports-growth/ (Aug 2025: pilot facility in operation since 31 March 2025, ~10 t/yr of magnets, nine DoD contracts) ; https://magneticsmag.com/?p=24004 (Research Triangle Park pilot plant, strip-casting furnace commissioned June 2025)",
    "browns_range": "https://www.australianmining.com.au/browns-ranges-strategic-importance-for-rare-earths-production/ (15 Sep 2025 DFS: ~17,500 t/yr xenotime concentrate at ~25% TREO, ~4,350 t/yr TREO; 11-year mine life) ; https://www.middle.news/articles/2025/09/14/northern-minerals-unveils-browns-range-dfs-a-strategic-heavy-rare-earths-breakthrough (long-term offtake with Iluka; funding not yet secured)",
    "usar_5000": "https://www.metalnomist.com/2025/08/usar-and-polarstar-to-produce-neo.html (Stillwater designed for 5,000 t/yr sintered NdFeB, commercial operations first half 2026)",
    "nolans_ndpr": "https://www.arultd.com/projects/nolans/ (Mineral Resources: NdPr enrichment 26.4% of TREO, i.e. Nd2O3+Pr6O11 share) ; https://nsenergybusiness.com/news/arafura-announces-project-update-for-nolans-ndpr-project-in-australia (4,440 t/yr NdPr oxide)",
    "xtc_baotou": "https://news.metal.com/newscontent/103385344/Xiamen-Tungsten:-Baotou-Jinlong's-5,000-mt-(first-phase)-high-performance-NdFeB-magnetic-materials-project-completed-and-put-into-operation (SMM, 19 Jun 2025: 5,000 t/yr phase I in production) ; https://www.metalnomist.com/2025/08/xiamen-tungsten-expands-ndfeb-magnet.html (phase II +15,000 t/yr by end-2027)",
    "niron": "https://www.indianchemicalnews.com/general/lite/niron-magnetics-breaks-ground-on-rare-earth-free-magnet-facility-in-minnesota-27697 (Sartell, 1,500 t/yr iron-nitride permanent magnets, operational early 2027)",
    "cyclic_mesa": "https://electrive.com/2025/04/25/cyclic-materials-invests-20-mn-in-its-first-us-recycling-facility (Mesa, Arizona, first commercial MagCycle plant, opening early 2026) ; https://business-news-today.com/cyclic-materials-bets-big-on-arizona-with-20m-rare-earth-recycling-facility-set-to-transform-u-s-clean-tech (up to 25,000 t/yr of discarded components)",
    "hypromag_usa": "https://www.share-talk.com/mkango-resources-ltd-aim-tsx-v-mka-hypromag-usa-finalises-long-term-lease (Dallas-Fort Worth lease; ~750 t/yr recycled NdFeB magnets plus ~807 t/yr co-products; commissioning mid-2027) ; https://news.metal.com/newscontent/103517086/SMM-Flash-News:-HyProMag-USA-to-Triple-Magnetic-Material-Recycling-Capacity-with-Expansion-Plans",
    "ionic_belfast": "https://rawmaterials.news/ionic-rare-earths-reaches-production-milestone-at-uk-recycling-plant (Belfast demonstration plant in continuous production, nameplate 10 t/yr rare earth oxide, June 2023) ; https://severuss.online/2024/11/18/belfast-could-become-magnet-for-rare-earth-oxide-manufacturing (commercial plant feasibility study, Nov 2024)",
    "mp_maaden": "https://www.zawya.com/en/business/investment/mp-materials-to-form-rare-earth-refining-jv-with-saudi-arabian-mining-company-tdur8wdv (19 Nov 2025: refining JV in Saudi Arabia; Maaden no less than 51%, MP and the US Department of War 49% through their own JV) ; https://seaisi-dev.staging.ws/details/27540?type=news-rooms (separated light and heavy oxides; no capacity given)",
    # --- downstream audit (motors, OEM sinks, recyclers), December 2026
    "auto_units_2025": "2025 deliveries: Tesla 1,636,129 (https://eletric-vehicles.com/tesla/tesla-delivers-1-64-million-evs-in-2025-falls-to-second-behind-byd); BYD ~4.6 million NEVs incl. 2.26 million BEVs (https://www.carandbike.com/news/byd-records-46-million-sales-in-2025-ev-deliveries-of-226-million-could-top-tesla-3219247); Toyota group 11.3 million, hybrids ~42% and BEVs 1.9% (https://www.newsbytesapp.com/news/auto/toyota-is-still-the-worlds-top-carmaker-breaking-its-own-sales-record/tldr ; https://www.log.com.tr/toyota-yine-dunyanin-en-cok-otomobil-satan-ureticisi-oldu/amp/); Volkswagen Group 983,100 BEVs and 424,987 PHEVs (https://ecomento.de/2026/01/21/volkswagen-konzern-globaler-bev-anteil-steigt-2025-von-8-auf-11-prozent/); GM ~170,000 US EVs (https://smartcarz.org/?p=31120); Ford US 84,113 EVs and 228,072 hybrids (https://driveteslacanada.ca/news/fords-ev-deliveries-fall-52-in-q4-despite-best-overall-sales-year-since-2019); BMW Group 642,087 electrified incl. 442,072 BEVs (https://ecomento.de/2026/01/09/bmw-group-verkauft-442-072-elektroautos-im-jahr-2025-36/); Hyundai and Kia 831,933 hybrids in Jan-Sep 2025, >1.1 million expected for the year (https://www.latestly.com/agency-news/business-news-hyundai-kia-set-to-break-1-million-mark-in-global-hybrid-sales-this-year-7203398.html); Geely Holding 2.29 million NEVs, Geely Auto 1,687,767 (https://thesinoreport.com/geely-4-million-sales-56-nev-penetration); China NEV sales 16.49 million (CAAM, https://www.steelorbis.com/steel-news/latest-news/caam-new-energy-vehicle-sales-in-china-up-282-percent-in-2025-1429628.htm); x magnet intensity (ev_kg)",
    "vw_porsche": "https://www.trend.at/news/vw-grossaktionaer-porsche-ipo-stellung-12538282 (May 2022: Porsche SE 31.9% of Volkswagen AG's subscribed capital, 53.3% of the voting rights, unchanged) ; https://www.boersen-zeitung.de/unternehmen-branchen/unangemessene-beguenstigung-der-familien-pich-und-porsche-8224bc2e-38c4-11ed-b314-79642049aebe (the Porsche and Piech families hold the majority of Porsche SE's voting ordinary shares)",
    "zf_owner": "https://swr.de/swraktuell/baden-wuerttemberg/friedrichshafen/zeppelin-urenkel-zieht-klage-gegen-stadt-friedrichshafen-zurueck-100.html (Zeppelin Foundation, administered by the City of Friedrichshafen, holds 93.8% of ZF Friedrichshafen AG) ; http://www.pressreader.com/germany/schwaebische-zeitung-wangen/20170620/281840053663042 (remaining 6.2%: Dr. Juergen und Irmgard Ulderup Foundation)",
    "denso_toyota": "https://www.automotiveworld.com/news-releases/boosting-growth-investment-to-power-mobility-company-transformation-toyota-denso-capital-ties-revised/ (Toyota, 29 Nov 2023: sale of 124.9 million Denso shares, Toyota's stake 24.2% -> 20.0%)",
    "maginito": "https://todaysstocks.com/mkango-subsidiary-maginito-and-cotec-form-hypromag-usa-joint-enterprise-and-begin-process-to-appoint-epcm-provider-for-the-feasibility-study (3 Jan 2024: HyProMag Ltd 100% owned by Maginito, which is owned 79.4/20.6% by Mkango Resources and CoTec Holdings; HyProMag USA LLC a 50/50 joint venture of Maginito and CoTec) ; https://maginito.com/ (Maginito holds 90% of HyProMag GmbH, direct and indirect, assuming conversion of its convertible loan)",
    "hypromag_2026": "https://www.finanznachrichten.de/nachrichten-2026-01/67443103-hypromag-usa-uk-minister-for-industry-officially-opens-rare-earth-magnet-recycling-and-manufacturing-facility-at-tyseley-energy-park-birmingham-200.htm (15 Jan 2026: Tyseley facility officially opened; recycled sintered magnets at 100 t/yr on a single shift, over 300 t/yr on multiple shifts)",
    "hypromag_de": "https://www.industryandenergy.eu/circular-economy/hypromag-develops-germanys-first-rare-earth-magnet-recycling-factory/ (HyProMag GmbH, Baden-Wuerttemberg: first phase minimum 100 t/yr NdFeB, EUR3.7M grants) ; https://www.stockopedia.com/share-prices/mkango-resources-CVE:MKA/news/reg-mkango-resources-ltd-hypromag-achieves-further-technical-milestones-urn:newsml:reuters.com:20250616:nRSP9583Ma (16 Jun 2025: commercial production targeted in Germany in 2025)",
    "cyclic_kingston": "https://secure.northernminer.com/news/cyclic-to-open-25m-rare-earths-plant-in-canada/1003879512 (Jun 2025: Hub100 in Kingston operating for a year, up to 100 t/yr of magnet-containing material to recycled mixed rare earth oxide; new Kingston Centre of Excellence hub, 500 t/yr of magnet-rich feedstock, operations from Q1 2026; feedstock from the Arizona spoke; offtake with Solvay)",
    "ionic_commercial": "https://business-news-today.com/ionic-rare-earths-belfast-reo-recycling-facility-applies-for-uk-government-funding (commercial Belfast plant: 400 t/yr rare earth oxide in the feasibility study, 40 times the demonstration plant) ; https://severuss.online/2024/11/18/belfast-could-become-magnet-for-rare-earth-oxide-manufacturing (Nov 2024: GBP85M plant at Belfast Harbour, funding being sought)",
    "caremag_2025": "https://financieredecourcelles.fr/transactions/financiere-de-courcelles-a-conseille-caremag-et-carester-dans-la-structuration-dun-financement-de-216-me-destine-a-la-construction-dune-usine-de-recyclage-et-de-raffinage-de-terres-r/ (31 Mar 2025: EUR216M financing closed; start end 2026 at Lacq; 600 t/yr Dy and Tb oxides and 800 t/yr Nd and Pr oxides; JOGMEC/Iwatani JV EUR110M in equity and shareholder debt)",
    "bosch_owner": "https://www.bosch-stiftung.de/de/verfassung-des-hauses-bosch (the Foundation's voting rights are transferred to Robert Bosch Industrietreuhand KG) ; https://purpose-economy.org/en/companies/bosch (92% of the economic rights with the Robert Bosch Stiftung, 93% of the voting shares with Robert Bosch Industrietreuhand KG)",
    "vestas_2025": "https://www.offshorewind.biz/2026/02/05/vestas-ends-2025-with-all-time-high-revenue-and-eur-10-1-billion-offshore-wind-turbine-order-backlog/ (Vestas annual report 2025: 14,537 MW delivered, of which 1,977 MW offshore)",
    "mp_apple_2025": "https://www.nsenergybusiness.com/news/mp-materials-apple-sign-500m-deal-for-rare-earth-magnets/ (16 Jul 2025: US$500M agreement; MP will build a commercial-scale recycling line at Mountain Pass; magnets made at Independence from recycled feedstock, shipments from 2027) ; https://resource-recycling.com/e-scrap/2025/07/17/apple-rare-earth-firm-to-process-end-of-life-device-magnets",
    "f35_2025": "https://breakingdefense.com/2026/01/lockheed-boasts-record-191-f-35-deliveries-in-2025 (191 F-35 deliveries in 2025, 110 in 2024; production capacity 156 a year)",
    "company": "company annual report / public company profile (ownership); see note",
    "est": "tiern estimate (see note)",
    # --- magnet-stage audit (December 2026)
    "jlmag_2024": "https://reportify.cn/transcripts/1110370832099708928 (JL MAG 2024 results briefing: blank production capacity 38,000 t at end-2024, 40,000 t planned for 2025, 60,000 t by 2027) ; https://reportify.cn/filings/1103124204397662208 (JL MAG 2024 annual report: NdFeB magnet production 21,578.75 t, sales 20,850.18 t) ; http://www.earths-book.com/index-969.html (29,300 t blanks in 2024)",
    "zhenghai_2024": "https://reportify.ai/tags/product?tagValue=%E6%97%A0%E9%87%8D%E7%A8%80%E5%9C%9F%E7%A3%81%E4%BD%93 (Pacific Securities on Zhenghai Magnetic, Aug 2025: rare earth permanent magnet capacity 30,000 t in 2024, output 20,781 t)",
    "smm_ndfeb_2025": "https://news.metal.com/newscontent/103528985/Rising-Costs-Decline-in-Demand%EF%BC%8CNdFeB-Production-Declined-in-August%E3%80%90SMM-Analysis%E3%80%91 (SMM survey, August 2025: China sintered NdFeB production 29,599 t, national average operating rate 69.24%)",
    "ndfeb_blanks": "https://www.adamasintel.com/china-ndfeb-production-2019/ (China's sintered NdFeB output is counted as blanks: 170,000 t of blanks in 2019) ; https://chinastockmarketnews.com/post/140522.html (Zhong Ke San Huan: 8,262 t/yr of blanks make 5,216 t of finished magnets, 0.63)",
    "shinetsu_longyan": "https://cen.acs.org/articles/90/i13/Shin-Etsu-Picks-China-Rare.html (C&EN, 26 Mar 2012: Shin-Etsu plant in Longyan, Fujian, for rare-earth alloys used in magnets, 3,000 t/yr, opening January 2013) ; https://cen.acs.org/articles/92/i17/Shin-Etsu-Make-Magnets-Vietnam.html (C&EN, 28 Apr 2014: Shin-Etsu makes its magnets only in Japan, before Vietnam)",
    "shinetsu_takefu": "https://chemengonline.com/shin-etsu-to-construct-rare-earth-magnet-plant-in-vietnam (2014: the 2,000 t/yr Vietnam sintering plant makes Shin-Etsu's sintering capacity about 1.5 times that of Takefu alone, i.e. Takefu ~4,000 t/yr)",
    "proterial_nantong": "http://www.logi-today.com/169303 (19 Jun 2015: Hitachi Metals 51% JV with Zhong Ke San Huan, Hitachi Metals San Huan Magnetic Materials (Nantong), 2,000 t/yr integrated NdFeB production, first 1,000 t/yr from Dec 2016) ; http://m.pvplans.com/dongtai/1125.html (phase 1: 2,000 t/yr finished NdFeB; phase 2 target 6,000 t/yr) ; https://www.daily8.com/en/hashtag/Proterial (Mint, 2025: China plant >2,000 t)",
    # --- separator audit (December 2026)
    "cn_recycled_2024": "https://www.argusmedia.com/metals-platform/newsandanalysis/article/2678157-China-s-recycled-rare-earth-output-falls-in-2024 (Argus, June 2025, from Ji'an Xintai chairman Liu Weihua: China's REO output from NdFeB magnet scrap 34,147 t in 2024 (39,662 t in 2023), incl. 26,504 t PrNd oxide, 710 t Dy oxide, 160 t Tb oxide; ~40 recycling plants, Jiangxi 64% of output; recycling capacity >80,000 t REO/yr) ; https://news.metal.com/newscontent/101774777 (SMM, 14 Mar 2022: 23,000 t of China's >70,000 t PrNd oxide output in 2021, 30%, came from the recycling industry)",
    "huamei_cap": "https://metalnomist.com/2024/11/china-launches-worlds-largest-rare.html (Baotou Huamei green smelting upgrade, phase 1 started 15 Oct 2024: extraction and separation capacity 106,661 t/yr REO; 198,000 t/yr mixed concentrate = 115,018 t/yr at 58.09% REO; Baotou's smelting and separation capacity to reach 234,000 t/yr by end-2024)",
    "ef_campaign_2024": "https://metalnomist.com/2024/08/energy-fuels-expands-rare-earth.html (Energy Fuels Q2 2024: ~12 t separated NdPr in the quarter; the 2024 REE campaign 25-35 t NdPr before the mill switched to uranium; Phase 1 circuit 850-1,000 t/yr NdPr) ; https://mining.com/?p=1152552 (Phase 1 capacity 850-1,000 t/yr NdPr; uranium campaign from Q3 2024)",
    "zhaobao_trial": "https://rareearthexchanges.com/?p=14300 (Northern Zhaobao: trial production of the first sintered NdFeB batch completed, 3,000 t/yr project; commercial start not announced)",
}

STAGES = ["mine", "concentrator", "mrec", "separator", "metal", "alloy", "magnet", "motor", "oem", "recycler"]
UNIT = {
    "mine": "t REO/yr", "concentrator": "t REO/yr", "mrec": "t REO/yr", "separator": "t REO/yr",
    "metal": "t metal/yr", "alloy": "t alloy/yr", "magnet": "t magnet/yr", "motor": "t magnet/yr",
    "oem": "t magnet/yr", "recycler": "t magnet/yr",
}

FAC: list[dict] = []
LINKS: list[dict] = []
OWN: list[dict] = []
DEMAND: list[dict] = []


def fac(id, name, stage, country, owner, capacity, *, status="operating", source, year, basis,
        pub=None, upub=None, note="", cert="", inv=None, sector="", lat=None, lon=None):
    """Add one facility.  pub/upub: the figure as published (defaults to capacity/unit)."""
    if inv is None:
        # automotive assembly and its motor suppliers run just-in-time: 2-4 weeks of critical
        # components (source "auto_jit"); the older 60 days for car makers was a reading of
        # finished-vehicle stock (days of sales at dealers), which does not keep a line running
        inv = {"mine": 30, "concentrator": 20, "mrec": 30, "separator": 45, "metal": 30, "alloy": 30,
               "magnet": 45, "motor": 21, "oem": 60, "recycler": 30}[stage]
        if stage == "oem" and sector == "automotive":
            inv = 21
    FAC.append(dict(
        id=id, name=name, stage=stage, country=country, owner=owner,
        capacity=capacity, unit=UNIT[stage], status=status, certifications=cert,
        inventory_days=inv, sector=sector, lat="" if lat is None else lat, lon="" if lon is None else lon,
        source=S.get(source, source), year=year, basis=basis,
        capacity_published=capacity if pub is None else pub,
        unit_published=UNIT[stage] if upub is None else upub,
        note=note, inventory_basis="estimated",
        # one row standing for many plants: "(aggregate)" or "...; aggregate)" in the name
        aggregate="true" if "aggregate" in name.lower() else "false",
    ))
    c = FAC[-1]
    keep = [x for x in cert.split(";") if x == "IATF16949" and stage in ("magnet", "motor")] if cert else []
    c["certifications"] = ";".join(keep)
    c["certifications_basis"] = ("inferred: supplies automotive series production, for which IATF 16949 is a prerequisite (qual_auto)"
                                 if keep else "")


LINK_DEFAULT_NOTE = ("Estimated split: volumes are sized so that each facility's outflow stays within its capacity and published "
                     "output totals (SMM, Acrei, company reports) are met; see data/README.md, Estimation method.")
CAND_NOTE = "Announced or plausible alternative route, not qualified; carries no volume (see qualification_months)."


LINK_SOURCE_YEAR = {"smm_june": 2024, "quota_h1_2024": 2024, "huamei": 2024, "jlmag": 2024, "acrei_demand": 2024,
                    "nolans_hyundai": 2022, "hastings": 2022, "src_feed": 2024, "whitemesa": 2024, "ef_2024": 2024,
                    "heraeus": 2024, "ksm": 2024, "sep_quota": 2024,
                    "argus_prnd_2024": 2024, "argus_recycled_2024": 2024, "nremm_2024": 2024}


def link(s, c, material, volume, *, status="qualified", qm="", source="est", year=None, basis="estimated", note=""):
    if year is None:
        year = LINK_SOURCE_YEAR.get(source, 2025)
    if not note:
        note = CAND_NOTE if status == "candidate" else ("Route under qualification; no volume yet." if status == "in_qualification" else LINK_DEFAULT_NOTE)
    LINKS.append(dict(supplier=s, customer=c, material=material, volume=volume, status=status,
                      qualification_months=qm, source=S.get(source, source), year=year, basis=basis, note=note))


def own(owner, parent, stake, country, source="company", year=2025, note=""):
    OWN.append(dict(owner=owner, parent=parent, stake=stake, country=country,
                    source=S.get(source, source), year=year, note=note))


INV_NOTE = "inventory_days is a tiern planning assumption by stage, not a reported figure (see README)"

# =============================================================================================
# MINES  (capacity = 2025 mine production, t REO, USGS MCS 2026 edition used throughout)
# =============================================================================================
BAYAN_OBO = 188650   # NRE full-year 2024 mining quota (nre_quota_2024)
fac("cn-bayan-obo-mine", "Bayan Obo mine (Baotou, Inner Mongolia)", "mine", "CN", "China Northern Rare Earth", BAYAN_OBO,
    source="nre_quota_2024", year=2024, basis="reported", pub=BAYAN_OBO, upub="t REO mining quota, full year 2024 (NRE)",
    note="NRE's full-year 2024 mining quota (75% of China's light-REE quota; H1 2024: 94,580 t). 2025 quotas not published (USGS repeats 270,000 t for China). Baogang reported ~185,000 t REO of concentrate in 2024 (370,000 t at ~50%), all sold to NRE.",
    lat=41.78, lon=109.97)
fac("cn-creg-ionic-mines", "China Rare Earth Group ionic-clay mines (Jiangxi/Guangdong/Fujian/Guangxi)", "mine", "CN",
    "China Rare Earth Group", 19150, source="creg_quota", year=2024, basis="reported", pub=19150,
    upub="t REO ionic (medium-heavy) mining quota, full year 2024",
    note="2024 ionic-clay quota (all held by CREG); H1-2024 published figure 10,140 t. Main domestic source of Dy/Tb.",
    lat=25.83, lon=114.93)
fac("cn-creg-light-mines", "China Rare Earth Group light-REE mines (Sichuan Mianning/Dechang, Shandong Weishan; aggregate)", "mine", "CN",
    "China Rare Earth Group", 270000 - BAYAN_OBO - 19150, source="usgs", year=2025, basis="estimated", pub=270000,
    upub="t REO, China mine production 2025 (USGS, = quota)",
    note="Aggregate: residual = USGS China 270,000 - Bayan Obo (NRE 2024 quota) 188,650 - ionic quota 19,150. Operator split between CREG units and partners not public.",
    lat=28.40, lon=102.17)
fac("us-mountain-pass-mine", "Mountain Pass mine (California)", "mine", "US", "MP Materials", 50692,
    source="mp_fy25", year=2025, basis="reported", pub=50692, upub="t REO in concentrate produced, 2025",
    note="USGS US total 51,000 t (estimated).", cert="ISO9001;ISO14001", lat=35.48, lon=-115.53)
fac("us-mining-rest", "United States, other mine production (aggregate)", "mine", "US", "US other producers (aggregate)", 308,
    source="usgs", year=2025, basis="estimated", pub=51000, upub="t REO, US mine production 2025 (USGS)",
    note="Residual: USGS US 51,000 - MP reported 50,692. USGS excludes monazite concentrates (e.g. Chemours' Florida/Georgia monazite that feeds White Mesa), so that feed is only partly represented here.")
fac("au-mt-weld-mine", "Mt Weld mine (Western Australia)", "mine", "AU", "Lynas Rare Earths", 26000,
    source="usgs", year=2025, basis="estimated", pub=29000, upub="t REO, Australia mine production 2025 (USGS)",
    note="Estimated: USGS Australia 29,000 less ~3,000 assumed for other producers (Iluka Eneabba monazite stockpiling). Lynas does not publish REO-in-concentrate; nameplate after expansion is feed for 12,000 t/yr NdPr (australianmining.com.au).",
    cert="ISO9001;ISO14001", lat=-28.86, lon=122.55)
fac("au-mining-rest", "Australia, other mine production incl. Iluka Eneabba monazite (aggregate)", "mine", "AU", "Iluka Resources", 3000,
    source="usgs", year=2025, basis="estimated", pub=29000, upub="t REO, Australia mine production 2025 (USGS)",
    note="Residual of USGS Australia total after Mt Weld estimate; mostly Iluka Eneabba monazite concentrate stockpiled for the refinery.")
fac("mm-kachin-ionic-clays", "Kachin ionic-clay mines (Pangwa/Chipwi, Special Region 1)", "mine", "MM", "Kachin ionic-clay operators (Chinese-run)", 22000,
    source="usgs", year=2025, basis="reported", pub=22000, upub="t REO, Burma mine production 2025 (USGS, from Chinese import data)",
    note="USGS estimates Burma from Chinese import data; Ord Minnett put 2023 shipments at ~50,000 t REO (worldenergynews). KIA control since Oct 2024 (Irrawaddy). Main heavy-REE (Dy/Tb) feed for China.",
    lat=26.05, lon=98.45)
fac("la-ionic-clays", "Laos ionic-clay mines (Xieng Khouang/Houaphanh; aggregate)", "mine", "LA", "Lao ionic-clay operators (Chinese-owned)", 550,
    source="usgs", year=2025, basis="estimated", pub=550, upub="t REO, 'Other countries' mine production 2025 (USGS)",
    note="USGS does not list Laos; all of USGS 'Other countries' (550 t) is attributed to Laos. Trade data suggest larger flows to China; known gap.",
    lat=19.45, lon=103.20)
fac("th-ionic-clays", "Thailand ionic-clay/placer production (aggregate)", "mine", "TH", "Thailand producers (aggregate)", 4800,
    source="usgs", year=2025, basis="reported", pub=4800, upub="t REO (USGS, from Chinese import data)")
fac("in-irel-beach-sands", "IREL beach-sand monazite mines (Chavara, Manavalakurichi, OSCOM)", "mine", "IN", "IREL (India) Limited", 2900,
    source="usgs", year=2025, basis="reported", pub=2900, upub="t REO, India mine production 2025 (USGS)",
    note="All Indian output attributed to state-owned IREL.", lat=19.34, lon=84.96)
fac("mg-rest", "Madagascar rare-earth production (aggregate)", "mine", "MG", "Madagascar producers (aggregate)", 2700,
    source="usgs", year=2025, basis="reported", pub=2700, upub="t REO (USGS, from Chinese import data)")
fac("ru-lovozero-mine", "Lovozero loparite mine (Murmansk)", "mine", "RU", "Solikamsk Magnesium Works", 2600,
    source="usgs", year=2025, basis="estimated", pub=2600, upub="t REO, Russia mine production 2025 (USGS)",
    note="All Russian output attributed to Lovozero loparite.", lat=67.86, lon=34.70)
fac("br-serra-verde-pela-ema", "Serra Verde Pela Ema ionic-clay mine (Goias)", "mine", "BR", "Serra Verde", 1520,
    source="usgs", year=2025, basis="estimated", pub=6500, upub="t REO expected output 2026 (mining.com)",
    note="USGS Brazil 2025 total (2,000 t) less the INB monazite estimate (480 t); 6,500 t is the 2026 expectation.",
    lat=-13.53, lon=-49.15)
fac("br-inb-monazite", "INB monazite concentrate (Buena, Rio de Janeiro)", "mine", "BR", "Industrias Nucleares do Brasil", 480,
    source="src_feed", year=2021, basis="estimated", pub=800, upub="t monazite concentrate procured by SRC (2021), ~60% TREO",
    note="REO = 800 t monazite x 60% TREO, assumed as the annual rate; part of USGS Brazil 2025 total.")
fac("au-hastings-yangibana", "Hastings Yangibana project (Western Australia)", "mine", "AU", "Hastings Technology Metals", 0, status="planned",
    source="hastings", year=2022, basis="estimated", pub="", upub="not taken into this dataset", note="Development project; capacity not verified here (0 = unknown).")
fac("au-browns-range", "Browns Range heavy rare earth project (Wolverine, East Kimberley, Western Australia)", "mine", "AU", "Northern Minerals", 4350, status="planned",
    source="browns_range", year=2025, basis="reported", pub=4350, upub="t/yr TREO in ~17,500 t/yr xenotime concentrate (DFS, Sep 2025)",
    note="DFS of Sep 2025 (A$592M pre-production capital, 11-year mine life); final investment decision and funding pending. Xenotime concentrate rich in Dy/Tb. The 2018-2022 pilot plant is not modelled (idle).",
    lat=-18.93, lon=128.93)
fac("tz-ngualla", "Ngualla rare earth project (Tanzania)", "mine", "TZ", "Peak Rare Earths", 16700, status="construction",
    source="ngualla", year=2024, basis="estimated", pub=37200, upub="t/yr rare earth concentrate (from 800,000 t/yr ore)",
    note="REO estimated assuming ~45% REO in concentrate. Construction reported to finish early 2026 (not verified). NdPr ~21% of REO.")
fac("ca-nechalacho", "Nechalacho bastnaesite mine (Northwest Territories)", "mine", "CA", "Vital Metals", 0, status="idle",
    source="ngualla", year=2024, basis="estimated", pub="", upub="not published", note="Small-scale operation suspended after Vital's Saskatoon plant closed in 2023; 0 = not operating.")
fac("ng-rest", "Nigeria rare-earth production (aggregate)", "mine", "NG", "Nigeria producers (aggregate)", 1500,
    source="usgs", year=2025, basis="reported", pub=1500, upub="t REO (USGS)")
fac("vn-rest", "Vietnam rare-earth production (aggregate)", "mine", "VN", "Vietnam producers (aggregate)", 150,
    source="usgs", year=2025, basis="reported", pub=150, upub="t REO (USGS, from Chinese import data)")
fac("my-rest", "Malaysia rare-earth production (aggregate)", "mine", "MY", "Malaysia producers (aggregate)", 110,
    source="usgs", year=2025, basis="reported", pub=110, upub="t REO (USGS, from Chinese import data)")
# planned / construction / idle mines (not in reconciliation, which counts operating capacity only)
fac("au-nolans-mine", "Nolans mine (Northern Territory)", "mine", "AU", "Arafura Rare Earths", 16800, status="planned",
    source="nolans_ndpr", year=2025, basis="estimated", pub=4440, upub="t NdPr oxide/yr",
    note="Estimated: REO = 4,440 t/yr NdPr oxide / 0.264 (NdPr is 26.4% of Nolans TREO, Arafura resource statement), same recovery assumed for all REEs; FID pending.", lat=-22.58, lon=133.25)
fac("ao-longonjo-mine", "Longonjo mine (Angola)", "mine", "AO", "Pensana", 14000, status="construction",
    source="longonjo", year=2026, basis="reported", pub=14000, upub="t/yr TREO in up to 38,000 t MREC (4,400 t NdPr)", lat=-12.91, lon=15.25)
fac("gl-tanbreez", "Tanbreez project (Greenland)", "mine", "GL", "Critical Metals Corp", 0, status="planned",
    source="tanbreez", year=2025, basis="estimated", pub="", upub="t REO/yr (not published)",
    note="Capacity not published; 0 = unknown.", lat=60.88, lon=-45.75)
fac("gl-kvanefjeld", "Kvanefjeld project (Greenland)", "mine", "GL", "Energy Transition Minerals", 0, status="idle",
    source="kvanefjeld", year=2025, basis="estimated", pub="", upub="t REO/yr (not published)",
    note="Stalled by uranium ban and litigation; capacity 0 = not operating/unknown.", lat=60.97, lon=-45.97)
fac("br-aclara-carina", "Carina ionic-clay project (Goias)", "mine", "BR", "Aclara Resources", 0, status="planned",
    source="aclara_br", year=2028, basis="estimated", pub="", upub="t REO/yr (feed from mid-2028; not published)",
    note="Capacity not published; 0 = unknown. Heavy-REE ionic clay planned to feed Aclara's US separation plant.")
fac("ca-strange-lake", "Strange Lake deposit (Quebec/Labrador)", "mine", "CA", "Torngat Metals", 15000, status="planned",
    source="torngat", year=2029, basis="reported", pub=15000, upub="t/yr REO", lat=56.33, lon=-64.17)
fac("za-phalaborwa", "Phalaborwa gypsum-stack project", "mine", "ZA", "Rainbow Rare Earths", 0, status="planned",
    source="rainbow", year=2025, basis="estimated", pub="", upub="t NdPr oxide/yr (not verified)", lat=-23.95, lon=31.12,
    note="Capacity not verified; 0 = unknown.")

# =============================================================================================
# CONCENTRATORS  (t REO/yr in concentrate)
# =============================================================================================
fac("cn-baotou-concentrator", "Baogang Bayan Obo ore concentrator (Baotou)", "concentrator", "CN", "China Northern Rare Earth", BAYAN_OBO,
    source="nre_quota_2024", year=2024, basis="reported", pub=BAYAN_OBO, upub="t REO, NRE mining quota 2024 (Baogang concentrate 370,000 t at ~50% REO)",
    note="Sized to the Bayan Obo quota (ore is beneficiated at Baotou); Baogang's own figure, ~185,000 t REO in 2024 concentrate, is within 2%.", lat=40.65, lon=109.84)
fac("us-mountain-pass-concentrator", "Mountain Pass mill and flotation", "concentrator", "US", "MP Materials", 50692,
    source="mp_fy25", year=2025, basis="reported", pub=50692, upub="t REO in concentrate produced, 2025", lat=35.48, lon=-115.53)
fac("au-mt-weld-concentrator", "Mt Weld concentration plant", "concentrator", "AU", "Lynas Rare Earths", 26000,
    source="mtweld", year=2025, basis="estimated", pub=12000, upub="t/yr NdPr-equivalent feed (nameplate after expansion)",
    note="Sized to the Mt Weld mine estimate.", lat=-28.86, lon=122.55)
fac("in-irel-mineral-separation", "IREL mineral separation plants (Chavara/OSCOM)", "concentrator", "IN", "IREL (India) Limited", 2900,
    source="usgs", year=2025, basis="estimated", pub=2900, upub="t REO (USGS India)", note="Sized to USGS India output.")
fac("ru-lovozero-concentrator", "Lovozero GOK concentrator (loparite concentrate)", "concentrator", "RU", "Solikamsk Magnesium Works", 2600,
    source="usgs", year=2025, basis="estimated", pub=2600, upub="t REO (USGS Russia)", note="Sized to USGS Russia output.")

# =============================================================================================
# MREC / cracking  (t REO/yr)
# =============================================================================================
fac("au-lynas-kalgoorlie", "Lynas Kalgoorlie Rare Earths Processing Facility", "mrec", "AU", "Lynas Rare Earths", 17900,
    source="lynas_fy25", year=2025, basis="estimated", pub=9000, upub="t/yr NdPr-equivalent feed",
    note="REO estimated = 9,000 t NdPr-equivalent x 1.99 (Lynas REO/NdPr production ratio, Sep-2025 quarter: 3,993/2,003 t).",
    cert="ISO9001;ISO14001", lat=-30.78, lon=121.47)
fac("br-serra-verde-plant", "Serra Verde concentrate plant (mixed RE concentrate)", "mrec", "BR", "Serra Verde", 2000,
    source="serraverde", year=2025, basis="estimated", pub=6500, upub="t REO expected output 2026",
    note="Sized to USGS Brazil 2025 output.", lat=-13.53, lon=-49.15)
fac("ao-longonjo-mrec", "Longonjo MREC plant (Angola)", "mrec", "AO", "Pensana", 14000, status="construction",
    source="longonjo", year=2026, basis="reported", pub=38000, upub="t/yr MREC (gross) containing 14,000 t TREO")
fac("mm-kachin-leach", "Kachin in-situ leach and MREC precipitation (aggregate)", "mrec", "MM", "Kachin ionic-clay operators (Chinese-run)", 22000,
    source="usgs", year=2025, basis="estimated", pub=22000, upub="t REO (USGS Burma)",
    note="Ionic clays are heap/in-situ leached on site to mixed carbonate; sized to USGS Burma output.")

# =============================================================================================
# SEPARATORS  (t REO/yr separated; China = 2024 separation quota 254,000 t REO)
# =============================================================================================
CN_SEP = 254000
# Separated REO from recycled NdFeB scrap in China, 2024 (cn_recycled_2024: 34,147 t REO, of which 26,504 t
# PrNd oxide = 30% of SMM's ~88,000 t national PrNd oxide, which counts scrap-based oxide). Was ~8,000 t.
CN_RECYCLED_REO = 34147
fac("cn-nre-baotou-huamei", "China Northern Rare Earth Baotou Huamei smelting & separation", "separator", "CN", "China Northern Rare Earth", 106661,
    source="huamei_cap", year=2024, basis="reported", pub=106661, upub="t REO/yr separation capacity (198,000 t/yr mixed concentrate)",
    note="Nameplate of the upgraded plant (phase 1 from 15 Oct 2024). It sits inside NRE's quota share (176,020 t), which caps the group's output, so NRE's two rows together are on the stage's effective-output basis; the split between them is an estimate.",
    lat=40.62, lon=109.95)
fac("cn-shenghe-leshan", "Shenghe Resources Leshan separation plant", "separator", "CN", "Shenghe Resources", 7500,
    source="shenghe_leshan", year=2019, basis="reported", pub=">7500", upub="t REO/yr output", lat=29.55, lon=103.77)
fac("cn-creg-ganzhou-separation", "China Rare Earth Group southern separation plants (Ganzhou/Longnan; ionic and Myanmar feed)", "separator", "CN",
    "China Rare Earth Group", 45000, source="sep_quota", year=2024, basis="estimated", pub=254000, upub="t REO, China separation quota 2024",
    note="Estimated: CREG's share of the separation quota is not published; sized to process CREG ionic quota (19,150 t) plus most Myanmar/Lao imports (~22,000 t) with margin. Main Dy/Tb oxide producer.",
    lat=25.83, lon=114.93)
fac("cn-jiangsu-separation", "Jiangsu separation cluster (Yixing/Liyang; imported MREC; aggregate)", "separator", "CN", "Jiangsu separators (various)", 12000,
    source="smm_june", year=2024, basis="estimated", pub="", upub="not published",
    note="Estimated order of magnitude; SMM reports Jiangsu as a main Dy/Tb/Gd/Ho oxide region processing imported (Myanmar) feed.",
    lat=31.36, lon=119.82)
fac("cn-neo-zamr", "ZAMR separation plant (Zibo, Shandong; closed, ex-Neo)", "separator", "CN", "Zibo Jiahua Advanced Material Resources (ZAMR)", 1500,
    status="idle", source="neo_shenghe", year=2025, basis="reported", pub=1500, upub="t REO annual processing quota (Neo, 2022)",
    note="Closed in Q2 2024 (Neo); 88% sold to a Shenghe Resources affiliate, completed 1 Apr 2025. Its former feed and NdPr output are with cn-nre-separation-other; China's separation total is unchanged (cn-separation-rest, the residual, takes its 1,500 t).")
fac("cn-neo-jamr", "JAMR heavy rare earth separation plant (Jiangyin, Jiangsu; Shenghe, ex-Neo)", "separator", "CN", "Jiangyin Jiahua Advanced Material Resources (JAMR)", 1100,
    source="neo_cn", year=2022, basis="reported", pub=1100, upub="t REO annual processing quota",
    note="86% sold by Neo to a Shenghe Resources affiliate, completed 1 Apr 2025 (neo_shenghe); Neo keeps 9% and distributes JAMR's heavy rare earth products outside China. Capacity: Neo's last published quota (2022).")
# Since 2024 only the two state groups receive smelting/separation quotas and allocate them to their
# constituent companies (quota_h1_2024: H1 2024 NRE 88,010 t, CREG 38,990 t of 127,000 t). The full-year
# 254,000 t is split by the H1 shares; each group's quota beyond its named plants is its own aggregate row.
NRE_SEP = round(CN_SEP * 88010 / 127000)          # 176,020 t
CREG_SEP = CN_SEP - NRE_SEP                        # 77,980 t
SEP_NOTE = ("Estimated: only China Northern Rare Earth and China Rare Earth Group receive separation quotas since 2024 "
            "(H1 2024: 88,010 t and 38,990 t, quota_h1_2024); the full-year 254,000 t (sep_quota) is split by those shares.")
fac("cn-nre-separation-other", "China Northern Rare Earth separation plants other than Huamei (Baotou; aggregate)", "separator", "CN",
    "China Northern Rare Earth", NRE_SEP - 106661, source="quota_h1_2024", year=2024, basis="estimated", pub=88010,
    upub="t REO NRE smelting/separation quota, H1 2024",
    note=SEP_NOTE + " Residual: NRE's share (176,020 t) less Huamei (106,661 t); NRE allocates it to its own and partner plants.",
    lat=40.65, lon=109.84)
fac("cn-creg-separation-other", "China Rare Earth Group light-REE separation plants (Sichuan/Shandong; aggregate)", "separator", "CN",
    "China Rare Earth Group", CREG_SEP - 45000, source="quota_h1_2024", year=2024, basis="estimated", pub=38990,
    upub="t REO CREG smelting/separation quota, H1 2024",
    note=SEP_NOTE + " Residual: CREG's share (77,980 t) less its southern plants (45,000 t). Shenghe Leshan and Neo's plants are kept as "
         "their own rows; which group's quota they use is not published.",
    lat=28.40, lon=102.17)
fac("cn-separation-rest", "China separation of imported and recycled feed, rest of industry (aggregate)", "separator", "CN", "China separation, rest of industry (aggregate)",
    CN_SEP + 45000 + CN_RECYCLED_REO - 106661 - 7500 - 45000 - 12000 - 1100 - (NRE_SEP - 106661) - (CREG_SEP - 45000), source=S["sep_quota"] + " ; " + S["cn_recycled_2024"], year=2024, basis="estimated", pub=254000,
    upub="t REO, China smelting/separation quota 2024",
    note="Residual: China separation = 2024 quota (254,000 t REO, domestic ore) + ~45,000 t REO imported concentrate/MREC (USGS 2025 output of Burma, Thailand, Madagascar, Nigeria, Laos, Brazil plus Q1 MP shipments) + 34,147 t REO separated from recycled NdFeB scrap in 2024 (reported: cn_recycled_2024; was ~8,000 t), minus named plants and the two groups' quota rows (cn-nre-separation-other, cn-creg-separation-other): the imported and recycled feed plus CREG light-REE concentrate beyond the modelled quota. Excludes undocumented output.")
# ex-China separators
fac("my-lynas-malaysia", "Lynas Malaysia advanced materials plant (Gebeng, Kuantan) - light REE", "separator", "MY", "Lynas Rare Earths", 16000,
    source="lynas_q1fy26", year=2025, basis="estimated", pub=10500, upub="t/yr NdPr oxide nameplate (FY25 output 6,558 t NdPr)",
    note="Effective REO capacity estimated as run-rate of Sep-2025 quarter (3,993 t REO x 4). Nameplate 10,500 t NdPr (lynas_fy25).",
    cert="ISO9001;ISO14001;ISO17025", lat=3.97, lon=103.38)
fac("my-lynas-malaysia-hre", "Lynas Malaysia heavy rare earths circuit (Dy/Tb)", "separator", "MY", "Lynas Rare Earths", 90,
    source="lynas_hre", year=2025, basis="estimated", pub=1500, upub="t/yr SEGH heavy feed throughput",
    note="Estimated: separated output = 75 t Dy oxide + 15 t Tb oxide (1,500 t/yr SEGH feed x ~5% Dy, ~1% Tb; capacities.csv). The 1,500 t of feed is not its capacity: that REO is already in the light plant's run-rate (Lynas reports total REO including its heavy products), so counting it again double-counted ex-China separation. First Dy oxide May 2025, Tb June 2025 (australianmining).",
    cert="ISO9001;ISO14001", lat=3.97, lon=103.38)
fac("my-lynas-malaysia-hre2", "Lynas Malaysia new heavy rare earths facility", "separator", "MY", "Lynas Rare Earths", 5000, status="planned",
    source="lynas_hre2", year=2026, basis="reported", pub=5000, upub="t/yr HRE feedstock")
fac("us-mountain-pass-separation", "Mountain Pass separation (light REE)", "separator", "US", "MP Materials", 17000,
    source="mp_fy25", year=2025, basis="estimated", pub=2599, upub="t NdPr oxide produced 2025 (exit run-rate ~4,000 t/yr)",
    note="REO estimated = 2,599 t NdPr / 0.153 (Nd+Pr ~15.3% of Mountain Pass bastnaesite REO, typical published distribution).",
    cert="ISO9001;ISO14001", lat=35.48, lon=-115.53)
fac("us-mountain-pass-hre", "Mountain Pass heavy rare earth separation circuit", "separator", "US", "MP Materials", 200, status="construction",
    source="mp_hre", year=2026, basis="reported", pub="3000 feed; >200 Dy+Tb", upub="t/yr SEG+ feedstock processed; t/yr Dy+Tb output once ramped",
    note="Separated output >200 t/yr Dy+Tb oxide (~3:1), commissioning by mid-2026; the ~3,000 t/yr SEG+ feed comes out of the light separation plant, whose REO is already counted there. Financed by a US$150M DoD loan (July 2025).")
fac("us-white-mesa", "Energy Fuels White Mesa Mill (monazite cracking and separation)", "separator", "US", "Energy Fuels", 455,
    source="ef_campaign_2024", year=2024, basis="estimated", pub="850-1000", upub="t/yr NdPr oxide (Phase 1 nameplate); Phase 2 >6,000 t NdPr + ~240 t Dy + ~66 t Tb",
    note="Effective output, the separator stage's basis: the Phase 1 circuit runs REE campaigns between uranium campaigns (2024: 25-35 t NdPr, then uranium from Q3), so its REO = the modelled ~100 t/yr NdPr / ~0.22 NdPr share of monazite REO = 455 t (estimated). Was 4,000 t, the Phase 1 nameplate (~900 t NdPr / 0.22), which the plant does not run at.", lat=37.54, lon=-109.50)
fac("us-lynas-seadrift", "Lynas USA Seadrift (Texas) processing facility", "separator", "US", "Lynas Rare Earths", 7500, status="planned",
    source="lynas_tx", year=2026, basis="reported", pub="5000 LREE + 2500-3000 HREE", upub="t/yr",
    note="Reported unlikely to proceed (metalnomist 2026).", lat=28.42, lon=-96.71)
fac("ee-neo-silmet", "NPM Silmet separation plant (Sillamae)", "separator", "EE", "Neo Performance Materials", 3000,
    source="silmet", year=2023, basis="reported", pub=3000, upub="t/yr LREE", cert="ISO9001;ISO14001", lat=59.40, lon=27.76)
fac("fr-solvay-la-rochelle", "Solvay La Rochelle rare earth plant", "separator", "FR", "Solvay", 4000,
    source="solvay_cap", year=2024, basis="reported", pub=4000, upub="t/yr rare earth products (mainly catalysts); 2,000-5,000 t REO possible",
    note="Magnet (NdPr) line inaugurated Apr 2025 (several hundred t in 2025; 24brussels); target 30% of European NdPr demand by 2030. Feed partly unknown (not all modelled).", cert="ISO9001;ISO14001",
    lat=46.15, lon=-1.17)
fac("in-irel-rare-earths-division", "IREL rare earths separation (Aluva/OSCOM)", "separator", "IN", "IREL (India) Limited", 2900,
    source="usgs", year=2025, basis="estimated", pub=2900, upub="t REO (USGS India mine output)", note="Sized to Indian mine output.")
fac("ru-solikamsk", "Solikamsk Magnesium Works rare earth processing", "separator", "RU", "Solikamsk Magnesium Works", 2600,
    source="usgs", year=2025, basis="estimated", pub=2600, upub="t REO (USGS Russia mine output)", note="Sized to Russian mine output; products are largely RE compounds rather than fully separated oxides.")
fac("ca-src-separation", "Saskatchewan Research Council Rare Earth Processing Facility - separation", "separator", "CA", "Saskatchewan Research Council", 500,
    source="src_feed", year=2024, basis="estimated", pub=3000, upub="t/yr monazite concentrate at ~60% TREO (= 1,800 t REO design feed)",
    note="Effective output, the separator stage's basis: 500 t REO/yr = its modelled feed (~480 t REO of INB monazite, SRC procured up to 800 t, plus ~20 t Cyclic oxide) in the ramp-up (estimated). Was 1,800 t REO, the design feed (3,000 t monazite x 60%), which SRC has not been supplied with.", lat=52.13, lon=-106.67)
fac("vn-vtre-separation", "Vietnam Rare Earth JSC (VTRE) separation (Hanoi)", "separator", "VN", "Vietnam Rare Earth JSC", 500,
    source="vtre", year=2023, basis="estimated", pub="", upub="not verified", note="Capacity not public; placeholder order of magnitude.")
fac("la-vientiane-refinery", "Vientiane rare earth refinery (option)", "separator", "LA", "Canada Rare Earth Corp", 3000, status="planned",
    source="laos", year=2025, basis="reported", pub=3000, upub="t REO/yr (never operated)")
fac("au-iluka-eneabba-refinery", "Iluka Eneabba Rare Earths Refinery", "separator", "AU", "Iluka Resources", 17500, status="construction",
    source="eneabba", year=2027, basis="reported", pub=17500, upub="t/yr REO (2022 FID figure)", lat=-29.82, lon=115.27)
fac("au-nolans-refinery", "Arafura Nolans processing and separation", "separator", "AU", "Arafura Rare Earths", 16800, status="planned",
    source="nolans_ndpr", year=2025, basis="estimated", pub=4440, upub="t/yr NdPr oxide", note="Estimated: REO = 4,440 / 0.264, as for the Nolans mine.")
fac("us-ucore-louisiana", "Ucore Louisiana Strategic Metals Complex (Alexandria)", "separator", "US", "Ucore Rare Metals", 2000, status="construction",
    source="ucore", year=2026, basis="reported", pub=2000, upub="t/yr TREO phase 1")
fac("us-aclara-louisiana", "Aclara heavy REE separation plant (Louisiana)", "separator", "US", "Aclara Resources", 1630, status="planned",
    source="aclara_us", year=2027, basis="reported", pub="200 Dy + 30 Tb + 1400 NdPr", upub="t/yr oxide")
fac("us-reelement-indiana", "ReElement Technologies (Indiana) separation/refining", "separator", "US", "ReElement Technologies", 200,
    source="osc", year=2025, basis="estimated", pub="", upub="not disclosed", note="Small operating plant; capacity not disclosed, placeholder.")
fac("ca-torngat-sept-iles", "Torngat Sept-Iles separation plant", "separator", "CA", "Torngat Metals", 15000, status="planned",
    source="torngat", year=2029, basis="reported", pub=15000, upub="t/yr REO")
fac("gb-pensana-saltend", "Pensana Saltend separation facility", "separator", "GB", "Pensana", 0, status="planned",
    source="saltend", year=2024, basis="estimated", pub="", upub="not verified", note="Status uncertain; capacity unknown.")

# =============================================================================================
# METAL  (t metal/yr)
# =============================================================================================
# China's NdPr metal: ~88,000 t in 2024 (Argus, market participants; consumption ~80,000 t), which
# supersedes SMM's June-2024 run-rate x12 (5,994 t x 12 = ~72,000 t) that understated the year.
# ~88,000 t of metal needs ~106,700 t of NdPr oxide (x 1.213), matching Argus's ~106,000 t of oxide:
# SMM's June x12 (~88,000 t, the separator rows) plus recycled oxide from scrap (26,504 t in 2024,
# Argus) beyond the 8,000 t that the separator rows already count. Capacity is the 2024 output
# (effective); the links carry ~79,850 t, about China's ~80,000 t consumption plus small exports.
CN_METAL = 88000  # t NdPr metal, 2024 (argus_prnd_2024)
fac("cn-nre-metal", "China Northern Rare Earth metal plants (Baotou)", "metal", "CN", "China Northern Rare Earth", 24000,
    source="argus_prnd_2024", year=2024, basis="estimated", pub=CN_METAL, upub="t Pr-Nd metal, China total output, 2024",
    note="Estimated share (~27%) of China's ~88,000 t Pr-Nd metal output in 2024 (Argus); Inner Mongolia is a main metal region per SMM. "
         "Was 22,000 t, a share of SMM's June-2024 run-rate x12 (~72,000 t), which understated the year.")
fac("cn-creg-metal", "China Rare Earth Group metal plants incl. Dy-Fe and Tb metal (Ganzhou)", "metal", "CN", "China Rare Earth Group", 10785,
    source="argus_prnd_2024", year=2024, basis="estimated", pub=CN_METAL, upub="t Pr-Nd metal, China total output, 2024",
    note="Estimated: 9,500 t NdPr metal (~11% of China's ~88,000 t in 2024, Argus) plus 1,089 t Dy and 196 t Tb metal (capacities.csv); "
         "SMM notes CREG selling Dy-Fe alloy. Was 10,000 t on SMM's June-2024 run-rate x12.")
fac("cn-metal-rest", "China rare earth metal, rest of industry (Jiangxi/Sichuan; aggregate)", "metal", "CN", "China metal, rest of industry (aggregate)",
    55590, source="argus_prnd_2024", year=2024, basis="estimated", pub=CN_METAL, upub="t Pr-Nd metal, China total output, 2024",
    note="Estimated residual: China's ~88,000 t Pr-Nd metal output in 2024 (Argus) less NRE (24,000 t) and CREG (9,500 t) = 54,500 t NdPr "
         "metal, plus 910 t Dy and 180 t Tb metal (capacities.csv). Was 45,740 t, sized to its flows because SMM's June-2024 run-rate x12 "
         "(~72,000 t) understated the year. Its oxide comes from the separator rows and from recycled oxide (Jiangxi scrap recyclers).")
fac("jp-metal-makers", "Japan rare earth metal and alloy makers (Santoku, Shin-Etsu and others; aggregate)", "metal", "JP", "Japan magnet materials industry (aggregate)", 4000,
    source="est", year=2025, basis="estimated", pub="", upub="not published",
    note="Estimated to convert Lynas/JARE NdPr oxide supplied to Japan (~4,000 t oxide est.) plus Chinese metal imports. No Japanese maker publishes "
         "a metal capacity (searched December 2026: Santoku, a Hitachi Metals/Proterial acquisition, Shin-Etsu, Showa Denko/Resonac).")
fac("vn-metal-makers", "Vietnam rare earth metal makers (Japanese- and Chinese-invested; aggregate)", "metal", "VN", "Vietnam rare earth metal makers (aggregate)", 2000,
    source="sdk_vn", year=2023, basis="estimated", pub=800, upub="t/yr didymium and Dy metal, Showa Denko Rare-Earth Vietnam (2008 plan, full rate targeted 2012)",
    note="Vietnam converts Lynas and Chinese oxide to NdPr metal for Japanese magnet makers (Project Blue 2022); volume is an order-of-magnitude estimate. "
         "The one published plant figure is Showa Denko Rare-Earth Vietnam's 800 t/yr (its current owner and output are not verified); "
         "Chinese-invested makers (a Shenghe affiliate, Integral Materials Investment Vietnam, is reported) publish none. Was owned by "
         "'Vietnam Rare Earth JSC' (VTRE, a separator; Shenghe 90% unverified), which made the aggregate Chinese-controlled; now an aggregate owner.")
fac("gb-lcm-ellesmere-port", "Less Common Metals (Ellesmere Port)", "metal", "GB", "USA Rare Earth", 480,
    source="lcm_cells", year=2023, basis="estimated", pub=330, upub="t/yr Nd/NdPr metal, 6 electrolysis cells x ~55 t (expansion from 2 cells 'as demand increases')",
    note="Estimated: 330 t/yr NdPr metal (six cells; completion of the expansion from two cells, ~110 t/yr, is not verified) plus ~150 t/yr SmCo alloy "
         "(co-reduction; not published). Was a 1,000 t placeholder. Acquired by USA Rare Earth (completed 18 Nov 2025, source lcm).",
    cert="ISO9001;AS9100", lat=53.28, lon=-2.90)
fac("fr-lcm-lacq", "LCM Europe metal and alloy plant (Lacq, France)", "metal", "FR", "USA Rare Earth", 3750, status="planned",
    source="lcm_lacq", year=2026, basis="reported", pub=3750, upub="t/yr rare earth metals and alloys",
    note="Announced 20 Jan 2026 by USA Rare Earth (LCM Europe SAS), beside Carester's Caremag oxide plant (start-up end 2026); timing and "
         "metal/alloy split not published. Kept as one metal-stage row (Europe's first metal-making platform).", lat=43.41, lon=-0.62)
fac("ca-src-metal", "Saskatchewan Research Council Rare Earth Processing Facility - metal", "metal", "CA", "Saskatchewan Research Council", 400,
    source="src", year=2025, basis="reported", pub=400, upub="t/yr NdPr metal (>99.5% purity)", lat=52.13, lon=-106.67)
fac("us-mp-independence-metal", "MP Materials Independence (Fort Worth) metal line", "metal", "US", "MP Materials", 450,
    source="mp_indep", year=2025, basis="estimated", pub=1000, upub="t/yr finished NdFeB (plant total; no metal nameplate published)",
    note="Estimated: NdPr metal for the 1,000 t/yr magnet plant = 1,000 t x 1.35 t alloy per t magnet x 0.313 t NdPr metal per t alloy = ~420 t (recipes.csv coefficients), rounded up to the 450 t the line ships in the model; was 1,000 t (the magnet figure).", lat=32.82, lon=-97.34)

# =============================================================================================
# ALLOY  (t alloy/yr)
# =============================================================================================
fac("cn-nre-alloy", "Northern Rare Earth Magnetic Material (NdFeB strip-cast alloy, Baotou and subsidiaries)", "alloy", "CN", "China Northern Rare Earth", 72000,
    source="nremm_2024", year=2024, basis="estimated", pub=6000, upub="t/month magnetic material (alloy) output, August 2024 (record 4,000 t in April 2024)",
    note="Estimated effective capacity: August-2024 output (>6,000 t) x 12; NREMM targets 150,000 t/yr of NdFeB alloy by end-2025 (not verified as built). "
         "Was a 50,000 t/yr project under construction (Argus, nre_alloy): NREMM, formed December 2022 from four NRE subsidiaries, made 4,000-6,000 t a month in 2024. "
         "Its modelled flow (45,000 t) is limited by the NdPr metal the model routes to it.")
fac("cn-alloy-rest", "China NdFeB strip-cast alloy, independent producers (aggregate)", "alloy", "CN", "China metal, rest of industry (aggregate)", 30000,
    source="est", year=2024, basis="estimated", pub="", upub="not published",
    note="Most Chinese magnet makers cast alloy in-house (modelled as metal->magnet); this node stands for merchant alloy outside Northern Rare Earth "
         "Magnetic Material (cn-nre-alloy). Estimated: merchant alloy ~1/5 of magnet output (~70,000 t) less NREMM's modelled 45,000 t, with spare; "
         "was 60,000 t when it also stood for NREMM.")
fac("jp-alloy-makers", "Japan NdFeB alloy makers (aggregate)", "alloy", "JP", "Japan magnet materials industry (aggregate)", 4500,
    source="jp_alloy", year=2025, basis="estimated", pub="", upub="not published",
    note="Sized to Japanese magnet capacity estimate. Makers: Santoku (Proterial group; took over Chuo Denki's magnet-alloy business with Sojitz in 2015) "
         "and in-house casting at the magnet makers (TDK took over Showa Denko's magnet-alloy R&D in 2019); none publishes an alloy capacity.")
fac("cn-shin-etsu-china", "Shin-Etsu rare-earth magnet alloy plant (Longyan, Fujian)", "alloy", "CN", "Shin-Etsu Chemical", 3000,
    source="shinetsu_longyan", year=2012, basis="reported", pub=3000, upub="t/yr rare-earth alloys for magnets (plant announced 2012, opening January 2013)",
    note="Was a magnet-stage row (3,000 t/yr 'China' in a vendor list of overseas capacity, end-2022): the only published Shin-Etsu plant in "
         "China is this alloy plant, and Shin-Etsu sinters its magnets in Japan (Takefu) and Vietnam. Its alloy goes to Takefu (estimated).",
    lat=25.08, lon=117.02)
fac("gb-lcm-alloy", "Less Common Metals strip-cast alloy line", "alloy", "GB", "USA Rare Earth", 500,
    source="lcm", year=2025, basis="estimated", pub="", upub="not verified", note="Placeholder; LCM makes NdFeB strip-cast and SmCo alloys.")
fac("us-mp-independence-alloy", "MP Materials Independence alloy line", "alloy", "US", "MP Materials", 1300,
    source="mp_indep", year=2025, basis="estimated", pub=1000, upub="t/yr finished NdFeB (plant total)",
    note="Sized at 1.3 t alloy per t finished magnet (blank-to-finished yield ~70-80%).")
fac("th-neo-magnequench", "Neo Magnequench bonded powder plant (Korat)", "alloy", "TH", "Neo Performance Materials", 1800,
    source="overseas_cap", year=2022, basis="reported", pub=1800, upub="t/yr NdFeB bonded powder", lat=14.97, lon=102.10)

# =============================================================================================
# MAGNETS  (t magnet/yr of finished magnets; see "Units" and "Estimation method" 4 in README.md)
# =============================================================================================
# One basis for the stage: nameplate capacity in tonnes of FINISHED magnets a year, the unit the
# stage's links carry (magnets to motors and OEMs).  Chinese makers and Chinese industry statistics
# state sintered NdFeB in tonnes of BLANKS (the sintered block before cutting and grinding); a blank
# figure is converted with FINISHED_PER_BLANK, JL MAG's 2024 ratio of finished magnets sold to blanks
# made (20,850 t / 29,300 t = 0.71; Zhong Ke San Huan's 2022 expansion states 0.63), and the figure
# as published stays in capacity_published / unit_published.  The conversion is an estimate, so a
# converted row has basis=estimated even where the blank figure is reported.
FINISHED_PER_BLANK = 0.71


def finished(blanks):
    """t/yr of finished magnets from t/yr of sintered blanks: blanks x FINISHED_PER_BLANK."""
    return int(round(blanks * FINISHED_PER_BLANK))


# China's total, on the same basis: SMM's survey has sintered NdFeB output 29,599 t in August 2025
# at a national average operating rate of 69.24%, i.e. 29,599 / 0.6924 x 12 = ~513,000 t/yr of
# blank capacity, ~364,000 t/yr of finished magnets.  (Output is not capacity: Acrei's 300,000 t of
# 2024 output, ~213,000 t finished, is what the stage's flows carry, and what China's modelled NdPr
# metal supports; see the data card, "Magnets: capacity and output".)
CN_MAG_BLANK_OUTPUT_AUG_2025 = 29599    # t, smm_ndfeb_2025
CN_MAG_OPERATING_RATE_AUG_2025 = 0.6924  # smm_ndfeb_2025
CN_MAG_BLANK_CAPACITY = int(round(CN_MAG_BLANK_OUTPUT_AUG_2025 / CN_MAG_OPERATING_RATE_AUG_2025 * 12, -2))
CN_MAG = finished(CN_MAG_BLANK_CAPACITY)
cn_named_mag = 0


def cnmag(id, name, owner, cap, **kw):
    global cn_named_mag
    if kw.get("status", "operating") == "operating":
        cn_named_mag += cap
    fac(id, name, "magnet", "CN", owner, cap, **kw)


BLANK_NOTE = ("Capacity in finished magnets = published blank capacity x 0.71 (FINISHED_PER_BLANK, JL MAG 2024 finished/blank); "
              "the blank figure is capacity_published.")
cnmag("cn-jl-mag", "JL MAG Rare-Earth magnet plants (Ganzhou/Baotou/Ningbo)", "JL MAG Rare-Earth", finished(38000),
      source="jlmag_2024", year=2024, basis="estimated", pub=38000,
      upub="t/yr sintered NdFeB blank capacity, end-2024 (40,000 planned for 2025, 60,000 by 2027)",
      note="Estimated: " + BLANK_NOTE + " 2024 output 29,300 t blanks; 21,579 t finished produced, 20,850 t sold (2024 annual report). "
           "Customers incl. Tesla, BYD, Toyota, Siemens Gamesa (rareearthexchanges).",
      cert="ISO9001;IATF16949;ISO14001", lat=25.83, lon=114.93)
cnmag("cn-ningbo-yunsheng", "Ningbo Yunsheng magnet plants (Ningbo/Baotou)", "Ningbo Yunsheng", finished(21000),
      source="yunsheng", year=2022, basis="estimated", pub=15000, upub="t/yr Baotou high-performance magnet project (2022 placement)",
      note="Estimated: ~21,000 t/yr of blanks (Baotou 15,000 t project plus ~6,000 t assumed for the Ningbo base; company total not "
           "published since 2022) x 0.71 finished per blank (FINISHED_PER_BLANK).",
      cert="ISO9001;IATF16949;ISO14001", lat=29.87, lon=121.54)
cnmag("cn-zhong-ke-san-huan", "Beijing Zhong Ke San Huan magnet plants (Beijing/Tianjin/Ningbo/Ganzhou)", "Zhong Ke San Huan", finished(21762),
      source="zksh_2022", year=2022, basis="estimated", pub="13500 + 8262", upub="t/yr sintered NdFeB (2013) + blanks expansion (2022)",
      note="Estimated: 21,762 t/yr of blanks (the 2013 capacity, sbwire, plus the 2022 blank expansion) x 0.71 finished per blank "
           "(FINISHED_PER_BLANK; the company's own figure for the 2022 expansion is 5,216 t finished from 8,262 t blanks, 0.63); "
           "current total not published.",
      cert="ISO9001;IATF16949;ISO14001", lat=39.98, lon=116.31)
cnmag("cn-zhenghai-magnetic", "Yantai Zhenghai Magnetic (Yantai/Nantong)", "Yantai Zhenghai Magnetic", finished(30000),
      source="zhenghai_2024", year=2024, basis="estimated", pub=30000,
      upub="t/yr rare earth permanent magnet capacity, 2024 (taken as blanks, the basis of Chinese capacity figures)",
      note="Estimated: " + BLANK_NOTE + " 2024 output 20,781 t (Pacific Securities, Aug 2025); was 18,000 t (Nantong base plan, 2021).",
      cert="ISO9001;IATF16949", lat=37.46, lon=121.45)
cnmag("cn-northern-zhaobao", "Northern Zhaobao magnet JV (Baotou)", "China Northern Rare Earth", 3000, status="construction",
      source="zhaobao_trial", year=2025, basis="reported", pub=3000, upub="t/yr high-performance NdFeB (trial production of the first batch completed)",
      note="Construction: the first sintered batch passed trial production (REEx, 2025); commercial start not announced. "
           "Basis (blanks or finished) not stated; used as published.")
cnmag("cn-tdk-rising", "Guangdong TDK Rising Rare Earth High Technology Material", "Guangdong TDK Rising (JV)", 1500,
      source="tdk_cn", year=2013, basis="reported", pub=1500, upub="t/yr high-performance NdFeB (at formation)",
      note="TDK 59%, Guangdong Rising 37%, Tokai Trade 4% (owner row). Basis (blanks or finished) not stated; used as published. "
           "TDK publishes no newer plant figure.")
cnmag("cn-proterial-china", "Proterial San Huan magnet plant (Nantong; ex-Hitachi Metals San Huan)", "Proterial San Huan Magnetic Materials (Nantong) (JV)", 2000,
      source="proterial_nantong", year=2025, basis="reported", pub=">2000", upub="t/yr finished NdFeB (phase 1, 2016; >2,000 t in 2025)",
      note="Hitachi Metals (now Proterial) 51% / Zhong Ke San Huan 49% JV founded 2015; phase 1 is 2,000 t/yr of finished magnets "
           "(phase 2 target 6,000 t/yr, not confirmed built); Mint (2025) puts the China plant above 2,000 t.",
      lat=32.01, lon=120.86)
cnmag("cn-xiamen-tungsten-baotou", "Xiamen Tungsten (Jinlong Rare Earth) magnet plant, Baotou", "Xiamen Tungsten", finished(5000),
      source="xtc_baotou", year=2025, basis="estimated", pub=5000, upub="t/yr high-performance NdFeB, phase I (phase II +15,000 t/yr by end-2027)",
      note="Estimated: " + BLANK_NOTE + " (Xiamen Tungsten states its magnet capacity as blanks: Changting 12,000 t/yr rough NdFeB, "
           "metalnomist; that Fujian plant is inside cn-magnet-rest). Phase I in production since June 2025. Controlled by Xiamen Tungsten "
           "through Fujian Golden Dragon (Jinlong) Rare Earth, whose rare-earth quota sits with China Rare Earth Group since 2024. "
           "Customers not published: its flows are taken from the China rest (estimated).",
      lat=40.62, lon=109.95)
fac("cn-magnet-rest", "China NdFeB magnets, rest of industry (~200 producers; aggregate)", "magnet", "CN", "China magnets, rest of industry (aggregate)",
    CN_MAG - cn_named_mag, source="smm_ndfeb_2025", year=2025, basis="estimated", pub=CN_MAG_BLANK_CAPACITY,
    upub="t/yr sintered NdFeB blank capacity, China (SMM August 2025 output / operating rate x 12)",
    note=(f"Estimated residual capacity in finished magnets: China {CN_MAG_BLANK_CAPACITY:,} t/yr of blanks (SMM, August 2025: "
          f"29,599 t output at a 69.24% operating rate, x12) x 0.71 finished per blank = {CN_MAG:,} t/yr, minus the named operating "
          "Chinese plants on the same basis. Was 187,738 t: Acrei's 2024 output (~300,000 t of blanks) minus named capacities, which "
          "mixed output with capacity and blanks with finished magnets. The row's flows stay on 2024 output (Acrei ~300,000 t blanks, "
          "~213,000 t finished; SMM expected ~260,000 t for 2024); excludes 90-100 kt CeFeB."))
# ex-China magnets
JP_NOTE = ("Estimated: no Japanese maker discloses NdFeB capacity. Ex-China capacity is 23.75 kt/yr (Project Blue, 2025); after the published "
           "non-Japanese plants (~16.5 kt listed in this dataset) about 7.25 kt is left for Japan, split here by rough market position.")
fac("jp-shin-etsu-takefu", "Shin-Etsu Chemical Takefu magnet plant (Fukui)", "magnet", "JP", "Shin-Etsu Chemical", 2800,
    source="pb_exchina", year=2025, basis="estimated", pub="", upub="not published", note=JP_NOTE,
    cert="ISO9001;IATF16949;ISO14001", lat=35.90, lon=136.17)
fac("jp-tdk-magnets", "TDK magnet plants (Japan)", "magnet", "JP", "TDK", 1700,
    source="pb_exchina", year=2025, basis="estimated", pub="", upub="not published", note=JP_NOTE, cert="ISO9001;IATF16949;ISO14001")
fac("jp-proterial-neomax", "Proterial NEOMAX magnet plants (Japan)", "magnet", "JP", "Proterial", 2000,
    source="proterial", year=2025, basis="estimated", pub="", upub="not published (Mint 2025)", note=JP_NOTE, cert="ISO9001;IATF16949;ISO14001")
fac("jp-daido-electronics", "Daido Electronics Nakatsugawa (hot-deformed, HRE-free NdFeB)", "magnet", "JP", "Daido Steel", 750,
    source="daido", year=2025, basis="estimated", pub="500 (expandable to 1000)", upub="t/yr sintered NdFeB (Intermetallics Japan JV plant, 2012 plan)",
    note=JP_NOTE + " Daido also produces HRE-free hot-deformed magnets (JPY5bn investment). The published 500 t/yr (expandable to 1,000 t) "
         "is the sintered plant of Intermetallics Japan at the same site, a JV founded 2012 by Daido Steel (35.5%), Mitsubishi Corporation "
         "(34.5%) and Molycorp (30%) (Molycorp); its later ownership was not found, so the row keeps Daido Steel as owner.",
    cert="ISO9001;IATF16949", lat=35.49, lon=137.50)
fac("vn-shin-etsu-haiphong", "Shin-Etsu Magnetic Materials Vietnam (Hai Phong)", "magnet", "VN", "Shin-Etsu Chemical", 2200,
    source="shinetsu_vn", year=2018, basis="reported", pub=2200, upub="t/yr sintered magnets", cert="ISO9001;IATF16949", lat=20.86, lon=106.68)
fac("vn-sgi-vina", "SGI Vina magnet plant (Bac Chu Lai IP)", "magnet", "VN", "Star Group Industrial", 4000,
    source="sgi", year=2025, basis="reported", pub="4000-5000", upub="t/yr NdFeB (from 2025)", note="Lower end of the published range.")
fac("vn-baotou-inst", "Baotou INST Magnetic Vietnam plant", "magnet", "VN", "Baotou INST Magnetic", 1000,
    source="vn_magnets", year=2023, basis="estimated", pub="", upub="not verified", note="Capacity not verified; placeholder.")
fac("de-vac-hanau", "VAC Hanau magnet works", "magnet", "DE", "VAC Group", 1500,
    source="vac", year=2025, basis="estimated", pub="", upub="not published", note="Capacity not published; estimated order of magnitude.",
    cert="ISO9001;IATF16949;AS9100;ISO14001", lat=50.13, lon=8.92)
fac("us-evac-sumter", "eVAC Magnetics Sumter plant (South Carolina)", "magnet", "US", "VAC Group", 1500,
    source="evac", year=2025, basis="estimated", pub="", upub="not disclosed (VAC)",
    note="Capacity undisclosed; ~1,500 t/yr sometimes quoted is unverified. Operations targeted late 2025 (fastmarkets); binding long-term supply agreement with GM.",
    lat=33.92, lon=-80.34)
fac("ee-neo-narva", "Neo Performance Materials Narva magnet plant", "magnet", "EE", "Neo Performance Materials", 2000,
    source="narva", year=2025, basis="reported", pub=2000, upub="t/yr sintered NdFeB (phase 2: 5,000)",
    note="Opened Sep 2025, ramping 2026; Neo's Q3-2025 call puts the start of (commercial) production in mid-2026 (rohstoff.net).",
    lat=59.38, lon=28.19)
fac("us-noveon-san-marcos", "Noveon Magnetics San Marcos (Texas)", "magnet", "US", "Noveon Magnetics", 2000,
    source="noveon", year=2023, basis="reported", pub=2000, upub="t/yr sintered NdFeB", note="Uses recycled magnet feed (magnet-to-magnet).",
    cert="ISO9001;IATF16949", lat=29.88, lon=-97.94)
fac("us-mp-independence", "MP Materials Independence magnet plant (Fort Worth)", "magnet", "US", "MP Materials", 1000,
    source="mp_indep", year=2025, basis="reported", pub=1000, upub="t/yr finished NdFeB", note="First commercial magnets Q4 2025; auto PPAP ongoing Feb 2026.",
    lat=32.82, lon=-97.34)
fac("us-mp-10x", "MP Materials 10X magnet facility (Northlake, Texas)", "magnet", "US", "MP Materials", 9000, status="planned",
    source="mp_dod", year=2028, basis="estimated", pub=10000, upub="t/yr NdFeB (MP total incl. Independence)",
    note="10,000 t MP total less 1,000 t Independence; DoD 10-year offtake.")
fac("us-usar-stillwater", "USA Rare Earth Stillwater magnet plant (Oklahoma)", "magnet", "US", "USA Rare Earth", 10000, status="construction",
    source="usar_chips", year=2026, basis="reported", pub=10000, upub="t/yr NdFeB magnets (expanded plan, CHIPS letter of intent 26 Jan 2026)",
    note="Commerce Department CHIPS Program Office, 26 Jan 2026: capacity raised to 10,000 t/yr, more than double the earlier 5,000 t/yr design (usar_5000); first line (1a) commissioning from Q1 2026, not yet confirmed as commercial output.", lat=36.12, lon=-97.06)
fac("us-usar-stillwater-alloy", "USA Rare Earth Stillwater metallization and strip-casting line (Oklahoma)", "alloy", "US", "USA Rare Earth", 10000, status="planned",
    source="usar_chips", year=2026, basis="reported", pub=10000, upub="t/yr rare earth metals and alloys (metallization and strip-casting)",
    note="Announced 26 Jan 2026 for the Stillwater site; the published 10,000 t/yr covers metals and strip-cast alloy together, kept as one alloy-stage row (the metal step is in-house). Timing not published.",
    lat=36.12, lon=-97.06)
fac("us-vulcan-benson", "Vulcan Elements Benson magnet plant (North Carolina)", "magnet", "US", "Vulcan Elements", 10000, status="planned",
    source="vulcan_deal", year=2025, basis="reported", pub=10000, upub="t/yr sintered NdFeB",
    note="Partnership of 3 Nov 2025: US$620M Office of Strategic Capital loan (conditional commitment, war.gov), US$50M CHIPS incentives and US$50M Department of Commerce equity (stake not published, so no owner row), Department of War warrants; Benson site chosen 18 Nov 2025, initial operations expected 2027.",
    lat=35.38, lon=-78.55)
fac("us-vulcan-rtp", "Vulcan Elements pilot magnet plant (Research Triangle Park, North Carolina)", "magnet", "US", "Vulcan Elements", 10,
    source="vulcan_pilot", year=2025, basis="reported", pub=10, upub="t/yr sintered NdFeB (pilot, operating since 31 Mar 2025)",
    note="Small-scale commercial and R&D line with its own strip caster; supplies Department of Defense contracts (ground vehicles, ships, munitions, drones, satellites).",
    lat=35.90, lon=-78.86)
fac("us-niron-sartell", "Niron Magnetics Sartell plant (Minnesota; iron-nitride, rare-earth-free)", "magnet", "US", "Niron Magnetics", 1500, status="construction",
    source="niron", year=2025, basis="reported", pub=1500, upub="t/yr iron-nitride permanent magnets (operational early 2027)",
    note="Rare-earth-free magnets (iron and nitrogen): a substitute for some NdFeB uses, with no rare-earth input links.")
fac("us-js-link-columbus", "JS Link America (Columbus, Georgia)", "magnet", "US", "JS Link", 3000, status="planned",
    source="jslink", year=2027, basis="reported", pub=3000, upub="t/yr NdFeB")
fac("kr-js-link-yesan", "JS Link Yesan plant", "magnet", "KR", "JS Link", 1000,
    source="jslink", year=2025, basis="reported", pub=1000, upub="t/yr NdFeB (pilot-scale start)")
fac("us-arnold-smco", "US samarium-cobalt magnet makers for defense (Arnold, Electron Energy; aggregate)", "magnet", "US", "US defense magnet makers (aggregate)", 300,
    source="est", year=2025, basis="estimated", pub="", upub="not published",
    note="SmCo magnets for defense; placeholder order of magnitude (no public capacity).", cert="ISO9001;AS9100")

# =============================================================================================
# RECYCLERS  (t magnet/yr feed)
# =============================================================================================
fac("cn-ganzhou-scrap-recyclers", "Ganzhou/Jiangxi NdFeB scrap recyclers (aggregate)", "recycler", "CN", "China separation, rest of industry (aggregate)", 109000,
    source="argus_recycled_2024", year=2024, basis="estimated", pub=34147, upub="t REO from NdFeB scrap, China, 2024 (26,504 t Pr-Nd oxide)",
    note="Estimated effective capacity in t scrap feed: China's 34,147 t of REO from NdFeB scrap in 2024 (Argus, Ji'an Xintai) x 3.19 t scrap per t "
         "recycled oxide (recipes.csv) = ~109,000 t. Was 30,000 t (~10% of magnet output). Its modelled output (13,300 t recycled oxide) is below the "
         "reported 26,504 t of Pr-Nd oxide: the rest of China's scrap is not on the named makers' links.")
fac("gb-hypromag-tyseley", "HyProMag Tyseley magnet recycling plant (Birmingham)", "recycler", "GB", "HyProMag", 200,
    source="hypromag_2026", year=2026, basis="estimated", pub="100 (single shift); >300 (multiple shifts)", upub="t/yr recycled sintered NdFeB magnets",
    note="Estimated: midpoint of the published single-shift (100 t/yr) and multi-shift (>300 t/yr) figures; officially opened 15 Jan 2026 after first HPMS powder in July 2025.")
fac("mx-jl-mag-recycling", "JL MAG magnet-scrap recycling project (Mexico)", "recycler", "MX", "JL MAG Rare-Earth", 0, status="planned",
    source="jlmag_mx", year=2024, basis="estimated", pub="US$100M", upub="investment (capacity not published)",
    note="Capacity not published; 0 = unknown. JL MAG's first recycling plant outside China.")
fac("us-mp-recycling", "MP Materials recycling line for Apple (Mountain Pass)", "recycler", "US", "MP Materials", 0, status="planned",
    source="mp_apple_2025", year=2025, basis="estimated", pub="US$500M", upub="Apple purchase commitment for recycled magnets (capacity not published)",
    note="Commercial-scale recycling line to be built at Mountain Pass (post-industrial scrap and end-of-life magnets); magnets for Apple from 2027. Capacity not published, 0 = unknown.")
fac("us-noveon-recycling", "Noveon Magnetics magnet-to-magnet recycling feed line", "recycler", "US", "Noveon Magnetics", 500,
    source="noveon", year=2023, basis="estimated", pub="", upub="not published", note="Placeholder for the recycled share of Noveon feed.")
fac("ca-cyclic-materials", "Cyclic Materials Hub100 (Kingston, Ontario)", "recycler", "CA", "Cyclic Materials", 100,
    source="cyclic_kingston", year=2024, basis="reported", pub=100, upub="t/yr magnet-containing material",
    note="Demonstration-scale hub in operation since mid-2024, making recycled mixed rare earth oxide; the figure is its feed capacity (magnet-containing material, taken as magnet scrap).")
fac("ca-cyclic-kingston-coe", "Cyclic Materials Kingston Centre of Excellence hub (Ontario)", "recycler", "CA", "Cyclic Materials", 500, status="construction",
    source="cyclic_kingston", year=2025, basis="reported", pub=500, upub="t/yr magnet-rich feedstock to recycled mixed rare earth oxide",
    note="First commercial hub (REEPure process), feed from the Mesa spoke and magnet makers' scrap; operations planned from Q1 2026, start not confirmed here.")
fac("us-cyclic-materials-mesa", "Cyclic Materials Mesa hub (Arizona)", "recycler", "US", "Cyclic Materials", 0, status="construction",
    source="cyclic_mesa", year=2026, basis="estimated", pub=25000, upub="t/yr discarded components (motors, e-scrap) processed",
    note="Capacity in magnet scrap not published (the 25,000 t are whole components); 0 = unknown. Spoke that separates magnets from end-of-life components for the Kingston hub (cyclic_kingston). Opening planned for early 2026; start not confirmed here.")
fac("us-hypromag-dfw", "HyProMag USA Dallas-Fort Worth magnet recycling and manufacturing hub (Texas)", "recycler", "US", "HyProMag USA", 750, status="planned",
    source="hypromag_usa", year=2025, basis="reported", pub="750 + 807", upub="t/yr recycled sintered NdFeB magnets + t/yr NdFeB co-products",
    note="Capacity taken as the 750 t/yr of recycled magnets (the scrap feed is larger); lease signed, commissioning targeted mid-2027. A 50/50 joint venture of Maginito (Mkango) and CoTec (maginito).")
fac("gb-ionic-belfast", "Ionic Technologies magnet recycling demonstration plant (Belfast)", "recycler", "GB", "Ionic Rare Earths", 32,
    source="ionic_belfast", year=2023, basis="estimated", pub=10, upub="t/yr rare earth oxide (nameplate of the demonstration plant)",
    note="Estimated: scrap feed = 10 t/yr recycled oxide x 3.19 t scrap per t recycled oxide (recipes.csv). Separated Nd/Pr, Dy oxides from end-of-life magnets; the commercial Belfast plant is a separate row (gb-ionic-belfast-commercial).")
fac("gb-ionic-belfast-commercial", "Ionic Technologies commercial magnet recycling plant (Belfast Harbour, planned)", "recycler", "GB", "Ionic Rare Earths", 1276, status="planned",
    source="ionic_commercial", year=2024, basis="estimated", pub=400, upub="t/yr rare earth oxide (feasibility study)",
    note="Estimated: scrap feed = 400 t/yr recycled oxide x 3.19 t scrap per t recycled oxide (recipes.csv). Feasibility study Nov 2024 (GBP85M); funding and a UK grant being sought, no construction decision found.")
fac("de-hypromag-pforzheim", "HyProMag GmbH magnet recycling plant (Pforzheim, Baden-Wuerttemberg)", "recycler", "DE", "HyProMag GmbH", 100, status="construction",
    source="hypromag_de", year=2025, basis="reported", pub=100, upub="t/yr NdFeB (first phase, minimum)",
    note="HPMS short-loop recycling to sintered magnets, alloy pellets and powders; production targeted in 2025 (June 2025 update), start not confirmed here.")
fac("vn-shin-etsu-recycling", "Shin-Etsu Vietnam separation/recycling line", "recycler", "VN", "Shin-Etsu Chemical", 300,
    source="shinetsu_vn", year=2018, basis="estimated", pub="", upub="not published", note="Shin-Etsu recycles process scrap in Vietnam; placeholder.")

fac("sa-mp-maaden-refinery", "Maaden-MP Materials rare earth refinery (Saudi Arabia)", "separator", "SA", "Maaden MP rare earth JV", 0, status="planned",
    source="mp_maaden", year=2025, basis="estimated", pub="", upub="t REO/yr (not published)",
    note="Joint venture agreed November 2025 to separate light and heavy rare earth oxides from Saudi and imported feed; capacity not published, 0 = unknown.")
# --- additional ex-China plants (second research pass)
fac("no-reetec-heroya", "REEtec separation plant (Heroya, Norway)", "separator", "NO", "REEtec", 720, status="construction",
    source="reetec", year=2024, basis="reported", pub=720, upub="t/yr NdPr oxide",
    note="Commissioning 2024-25 ('ready for raw material early 2025'); commercial output not verified. Capacity is NdPr oxide only (used as REO).")
fac("fr-caremag-lacq", "Caremag rare earth refinery (Lacq, France)", "separator", "FR", "Carester", 1390, status="construction",
    source="caremag", year=2026, basis="reported", pub="150 Pr + 650 Nd + 500 Dy + 90 Tb", upub="t/yr separated oxides at run rate",
    note="Refines 5,000 t/yr mining concentrate plus recycled magnets; start-up end 2026. Largest planned ex-China Dy/Tb producer.")
fac("fr-caremag-recycling", "Caremag magnet recycling line (Lacq)", "recycler", "FR", "Carester", 2000, status="construction",
    source="caremag", year=2026, basis="reported", pub=2000, upub="t/yr magnets recycled",
    note="EUR216M financing closed 31 Mar 2025 (caremag_2025); start-up planned end 2026 with the refinery.")
fac("kr-ksm-metals", "KSM Metals Korean Metals Plant (Ochang)", "alloy", "KR", "Australian Strategic Materials", 1800,
    source="ksm_2025", year=2025, basis="reported", pub=1800, upub="t/yr NdFeB alloy (existing capacity, doubling to 3,600 t/yr in Phase 2, commissioning late 2026)",
    note="ASM, October 2025: Phase 2 (funded) doubles NdFeB alloy capacity to 3,600 t/yr by late 2026; full plant 5,600 t/yr of metals and alloys. "
         "Was 1,900 t/yr, the plan at opening (May 2022, 5,200 t/yr of metals and alloys). Converts oxide to NdPr metal and NdFeB alloy with its own "
         "metallisation process; oxide from Vietnam (2023) and, since 2025, stock and an Australian supplier.")
fac("de-heraeus-remloy", "Heraeus Remloy magnet recycling plant (Bitterfeld)", "recycler", "DE", "Heraeus", 600,
    source="heraeus", year=2024, basis="reported", pub=600, upub="t/yr (expandable to 1,200 t)",
    note="Recycled NdFeB powder for bonded and hot-formed magnets; started May 2024.")
fac("au-asm-dubbo", "ASM Dubbo project (New South Wales)", "mine", "AU", "Australian Strategic Materials", 0, status="planned",
    source="ksm", year=2025, basis="estimated", pub="", upub="not published here", note="Construction-ready polymetallic project; capacity not taken into this dataset (0 = unknown).")

# =============================================================================================
# MOTORS  (t magnet/yr consumed) -- all estimated from vehicle/turbine output x magnet intensity
# =============================================================================================
MOT_NOTE = "Magnet consumption estimated as units x magnet intensity (auto_units); no motor maker publishes magnet tonnage."
fac("jp-nidec", "Nidec traction and industrial motors", "motor", "JP", "Nidec", 1400, source="noveon_nidec", year=2025, basis="estimated",
    pub=1000, upub="t magnets over 5 years from Noveon (contract)", note=MOT_NOTE + " Noveon contract = 200 t/yr.", cert="ISO9001;IATF16949")
fac("us-borgwarner", "BorgWarner eMotors", "motor", "US", "BorgWarner", 800, source="auto_units", year=2025, basis="estimated", note=MOT_NOTE, cert="ISO9001;IATF16949")
fac("de-bosch-emotors", "Bosch electric drive motors", "motor", "DE", "Robert Bosch", 1000, source="auto_units", year=2025, basis="estimated", note=MOT_NOTE, cert="ISO9001;IATF16949")
fac("de-zf-emotors", "ZF electric drive motors", "motor", "DE", "ZF Friedrichshafen", 500, source="auto_units", year=2025, basis="estimated", note=MOT_NOTE, cert="ISO9001;IATF16949")
fac("jp-denso-aisin", "Denso and Aisin hybrid/EV motors (Toyota group)", "motor", "JP", "Denso and Aisin (Toyota group)", 4400, source="auto_units_2025", year=2025, basis="estimated",
    note=MOT_NOTE + " Sized to the magnets it receives (4,400 t), all of which go to Toyota; Toyota's 2025 need (~5.0 million electrified x ~1 kg) is larger, the rest comes from Chinese motor makers (Toyota's Chinese joint ventures).", cert="ISO9001;IATF16949")
fac("cn-findreams", "FinDreams Powertrain (BYD) motors", "motor", "CN", "BYD", 6900, source="auto_units_2025", year=2025, basis="estimated",
    note=MOT_NOTE + " ~4.6 million BYD NEVs (2025) x 1.5 kg.", cert="ISO9001;IATF16949")
fac("cn-inovance", "Inovance automotive and industrial motors", "motor", "CN", "Inovance", 2500, source="auto_units", year=2025, basis="estimated", note=MOT_NOTE, cert="ISO9001;IATF16949")
fac("cn-motor-rest", "China traction motor makers, rest (aggregate)", "motor", "CN", "China motors, rest of industry (aggregate)", 20000, source="acrei_demand", year=2024, basis="estimated",
    note="Acrei: NEV magnet demand ~43 kt in 2024 (35% of the demand it tracks); remainder after named makers.")
fac("us-tesla-drive-units", "Tesla drive unit plants (Nevada/Shanghai/Berlin/Austin)", "motor", "US", "Tesla", 2450, source="auto_units_2025", year=2025, basis="estimated",
    note=MOT_NOTE + " 1,636,129 deliveries (2025) x 1.5 kg = 2,454 t, rounded.")
fac("de-siemens-motors", "Siemens industrial motors and drives", "motor", "DE", "Siemens", 600, source="auto_units", year=2025, basis="estimated", note=MOT_NOTE, cert="ISO9001")
fac("ch-abb-motors", "ABB permanent-magnet motors", "motor", "CH", "ABB", 500, source="auto_units", year=2025, basis="estimated", note=MOT_NOTE, cert="ISO9001")
fac("jp-yaskawa", "Yaskawa servo motors", "motor", "JP", "Yaskawa Electric", 400, source="auto_units", year=2025, basis="estimated", note=MOT_NOTE, cert="ISO9001")
fac("us-defense-motor-makers", "US defense actuator and motor makers (aggregate)", "motor", "US", "US defense magnet makers (aggregate)", 100, source="est", year=2025, basis="estimated",
    note="Actuators, fin/rudder drives, radar and guidance motors; placeholder order of magnitude.", cert="ISO9001;AS9100")
fac("kr-hyundai-mobis", "Hyundai Mobis / Hyundai Motor Group e-motors", "motor", "KR", "Hyundai Motor Group", 1000, source="auto_units", year=2025, basis="estimated",
    note=MOT_NOTE + " Sized to its magnet intake (1,000 t, ~0.6 million electrified vehicles x 1.5 kg); Hyundai and Kia's 2025 need is larger (>1.1 million hybrids alone, auto_units_2025), the gap is not modelled.", cert="ISO9001;IATF16949")

# =============================================================================================
# OEMs (sinks, t magnet/yr)
# =============================================================================================
OEM_NOTE = "Magnet demand estimated as units x magnet intensity (see links note)."
SECTOR_SRC = {"automotive": "auto_units", "wind": "wind_tmw", "defense": "f35", "industrial": "acrei_demand", "consumer": "acrei_demand"}


def oem(id, name, country, owner, cap, sector, note="", source=None, year=2025, **kw):
    source = source or SECTOR_SRC[sector]
    fac(id, name, "oem", country, owner, cap, source=source, year=year, basis="estimated", sector=sector,
        note=(note or OEM_NOTE), **kw)

AUTO_2025 = dict(source="auto_units_2025", year=2025)
oem("us-tesla", "Tesla vehicle plants", "US", "Tesla", 2450, "automotive", "Estimated: 1,636,129 deliveries 2025 (company) x 1.5 kg NdFeB per vehicle (ev_kg) = 2,454 t.", **AUTO_2025)
oem("cn-byd", "BYD vehicle plants", "CN", "BYD", 6900, "automotive", "Estimated: ~4.6 million NEVs 2025 (company; 2.26 million BEVs) x 1.5 kg = ~6,900 t.", **AUTO_2025)
oem("jp-toyota", "Toyota Motor (hybrid and EV vehicles)", "JP", "Toyota Motor", 5000, "automotive",
    "Estimated: Toyota group 11.3 million vehicles 2025 with ~42% hybrids (~4.75 million) and 1.9% BEVs (~0.21 million) = ~5.0 million electrified x ~1 kg (hybrid motor-generators ~1 kg, BEVs 1.5 kg) = ~5,000 t.", **AUTO_2025)
oem("us-gm", "General Motors (Ultium EVs)", "US", "General Motors", 600, "automotive", "Estimated order of magnitude: EV traction (~170,000 US EV sales 2025 x 1.5 kg = ~255 t) plus EPS/auxiliary motors in part of ~6 million vehicles; inbound = MP and eVAC start-up volumes.", inv=90, **AUTO_2025)
oem("de-volkswagen", "Volkswagen Group", "DE", "Volkswagen", 2100, "automotive", "Estimated: 983,100 BEVs + 424,987 PHEVs delivered 2025 (1.41 million) x 1.5 kg = ~2,100 t.", **AUTO_2025)
oem("kr-hyundai-kia", "Hyundai Motor / Kia", "KR", "Hyundai Motor Group", 1000, "automotive",
    "Estimated: 1,000 t kept, the magnets its modelled motor maker receives; 2025 need is larger (hybrids alone >1.1 million x ~1 kg, plus BEVs), the gap is not modelled. Nolans offtake up to 1,500 t/yr NdPr (candidate).", **AUTO_2025)
oem("us-ford", "Ford Motor (EV/hybrid)", "US", "Ford Motor", 400, "automotive", "Estimated: 312,185 EV+hybrid (US 2025: 84,113 EVs, 228,072 hybrids) x ~1.3 kg = ~400 t; Chicago plant idled ~1 week May 2025 (cbtnews).", inv=7, **AUTO_2025)
oem("de-bmw", "BMW Group", "DE", "BMW", 400, "automotive",
    "Estimated: 642,087 electrified 2025 (442,072 BEVs); BMW-brand Gen5 BEVs use externally excited motors without magnets, so ~1.2 kg is counted on PHEVs (~200,000) and MINI BEVs (~100,000) only = ~400 t.", **AUTO_2025)
oem("cn-geely", "Geely Holding (Geely/Volvo/Zeekr)", "CN", "Geely Holding", 3400, "automotive", "Estimated: 2.29 million NEVs 2025 (Geely Holding, incl. Volvo; Geely Auto 1.69 million) x 1.5 kg = ~3,400 t.", **AUTO_2025)
oem("cn-nev-oem-rest", "China NEV makers, rest (aggregate)", "CN", "China OEMs, rest (aggregate)", 13600, "automotive",
    "Estimated residual: China NEV sales 16.49 million 2025 (CAAM, incl. 2.6 million exports) x 1.5 kg = ~24,700 t, less BYD, Geely Auto, Tesla Shanghai and joint-venture brands shown elsewhere = ~13,600 t.", **AUTO_2025)
oem("eu-auto-rest", "European and other automotive OEMs, rest (Stellantis, Renault, Mercedes, Nissan, Honda; aggregate)", "FR", "European OEMs, rest (aggregate)", 6500, "automotive",
    "EV/HEV magnet demand plus EPS and auxiliary motors of OEMs not listed; country FR stands for the mostly European group (approximation).")
oem("es-siemens-gamesa", "Siemens Gamesa Renewable Energy (direct-drive offshore)", "ES", "Siemens Energy", 2000, "wind", "Assumed ~3-4 GW/yr of direct-drive output x ~0.6 t/MW (wind_tmw); installations not checked.")
oem("dk-vestas", "Vestas Wind Systems", "DK", "Vestas", 1500, "wind",
    "Estimated: 14,537 MW delivered in 2025 (1,977 MW offshore) with a permanent-magnet share (EnVentus and V236 medium-speed PMG; older 4 MW platform without NdFeB) not published; the modelled inbound (~1,300 t) implies ~0.09 t/MW over all deliveries, a rough estimate.",
    source="vestas_2025", year=2025)
oem("us-ge-vernova", "GE Vernova (Haliade-X offshore)", "US", "GE Vernova", 700, "wind", "Assumed ~1.2 GW/yr offshore direct-drive (Haliade-X) x 0.6 t/MW; onshore DFIG turbines use no NdFeB.")
oem("cn-goldwind", "Goldwind (direct-drive/medium-speed PMSG)", "CN", "Goldwind", 6000, "wind", "Estimated; PMSG fleet leader. Acrei wind magnet demand ~4,848 t (2024 forecast) conflicts with turbine-intensity estimates; see README.")
oem("cn-wind-rest", "China wind OEMs, rest (Mingyang, Envision, others; aggregate)", "CN", "China OEMs, rest (aggregate)", 6000, "wind", "Residual of Chinese PM-turbine demand.")
oem("us-lockheed-martin", "Lockheed Martin", "US", "Lockheed Martin", 60, "defense",
    "Estimated: F-35 ~31-43 kg magnet alloy per aircraft (Adamas 2026) x 191 deliveries in 2025 (f35_2025; 156 a year at the production rate) = ~6-8 t plus missiles, actuators and radar; total for the four defense primes (~150 t) kept below GAO's bound of <0.1% of global demand. DFARS 252.225-7052 bars Chinese magnets.", inv=180)
oem("us-rtx", "RTX (Raytheon, Pratt & Whitney, Collins)", "US", "RTX", 50, "defense", "Estimated order of magnitude (missile fin actuators, radar, engines); SmCo-heavy. Bounded as for Lockheed Martin.", inv=180)
oem("us-northrop-grumman", "Northrop Grumman", "US", "Northrop Grumman", 20, "defense", "Estimated order of magnitude; bounded as for Lockheed Martin.", inv=180)
oem("gb-bae-systems", "BAE Systems", "GB", "BAE Systems", 20, "defense", "Estimated order of magnitude; bounded as for Lockheed Martin.", inv=180)
oem("de-siemens-industrial", "Siemens Digital Industries (machines, drives)", "DE", "Siemens", 600, "industrial", "Estimated order of magnitude from Siemens' PM motor lines; no public tonnage.")
oem("ch-abb-industrial", "ABB Robotics and Motion", "CH", "ABB", 500, "industrial", "Estimated order of magnitude; no public tonnage.")
oem("jp-fanuc-yaskawa", "Japanese robot and machine-tool makers (Fanuc, Yaskawa; aggregate)", "JP", "Japanese OEMs, rest (aggregate)", 1200, "industrial", "Estimated order of magnitude for servo-motor magnets; no public tonnage.")
oem("cn-industrial-rest", "China industrial motors, elevators, e-bikes (aggregate)", "CN", "China OEMs, rest (aggregate)", 65000, "industrial",
    "Residual of Chinese industrial demand (elevators, servo, e-bikes, pumps) after other sectors; estimated.")
oem("eu-industrial-rest", "European and other industrial users, rest (aggregate)", "DE", "European OEMs, rest (aggregate)", 6500, "industrial", "Country DE stands for the mostly European group (approximation).")
oem("us-apple", "Apple (devices)", "US", "Apple", 1000, "consumer", "Estimated order of magnitude (~230 million iPhones plus other devices x a few grams each); MP recycled-magnet supply under a US$500M commitment (daily8).")
oem("kr-samsung", "Samsung Electronics (devices, appliances)", "KR", "Samsung Electronics", 1700, "consumer", "Estimated order of magnitude (phones, appliance compressors); no public tonnage.")
oem("cn-appliances", "China appliance makers - inverter air-conditioner compressors (Gree, Midea, Haier; aggregate)", "CN", "China OEMs, rest (aggregate)", 30000, "consumer",
    "Acrei: inverter air-conditioner magnet demand ~30,154 t (2024 forecast).", source="acrei_demand", year=2024)
oem("cn-consumer-rest", "China consumer electronics and acoustics (aggregate)", "CN", "China OEMs, rest (aggregate)", 40000, "consumer", "Residual of China's ~300 kt magnet output after automotive, wind, appliance and industrial sinks; estimated.")
oem("jp-consumer-rest", "Japanese and other consumer electronics makers, rest (aggregate)", "JP", "Japanese OEMs, rest (aggregate)", 4000, "consumer", "Country JP stands for the group (approximation).")

# =============================================================================================
# LINKS
# =============================================================================================
Q_AUTO = 6      # months: midpoint of 4-7 months for an existing grade (qual_auto)
Q_NEW = 12      # months: new plant / new grade, >12 months observed for MP (qual_auto)
Q_DEF = 18      # months: defense (AS9102 first article) -- not found, assumption

# --- mines -> concentrators / MREC / separators (t REO)
link("cn-bayan-obo-mine", "cn-baotou-concentrator", "RE ore", BAYAN_OBO, source="nre_quota_2024", year=2024, basis="reported",
     note="Internal transfer equal to NRE's reported 2024 mining quota (all Bayan Obo ore is beneficiated at Baotou).")
link("cn-baotou-concentrator", "cn-nre-baotou-huamei", "RE concentrate", 106000, note="Estimated: Huamei runs near capacity.")
link("cn-baotou-concentrator", "cn-nre-separation-other", "RE concentrate", 62000, note="Estimated: rest of NRE concentrate to other NRE/partner separators (under NRE's quota); includes the 1,500 t that went to ZAMR before it closed (Q2 2024).")
link("cn-creg-ionic-mines", "cn-creg-ganzhou-separation", "MREC", 17000, note="Estimated ~90% of ionic quota to CREG's own separators.")
link("cn-creg-ionic-mines", "cn-jiangsu-separation", "MREC", 1500)
link("cn-creg-light-mines", "cn-shenghe-leshan", "RE concentrate", 7000, note="Sichuan bastnaesite to Leshan.")
link("cn-creg-light-mines", "cn-creg-separation-other", "RE concentrate", CREG_SEP - 45000, note="Estimated: CREG light-REE concentrate separated under CREG's quota, up to its modelled quota row.")
link("cn-creg-light-mines", "cn-separation-rest", "RE concentrate", 46000 - (CREG_SEP - 45000), note="Estimated: CREG light-REE concentrate beyond CREG's modelled quota row (toll separation).")
link("us-mountain-pass-mine", "us-mountain-pass-concentrator", "RE ore", 50692, source="mp_fy25", basis="reported", note="Integrated site; REO in concentrate 2025.")
link("us-mountain-pass-concentrator", "us-mountain-pass-separation", "RE concentrate", 17000, source="mp_fy25",
     note="Estimated REO separated on site (see facility note).")
link("us-mountain-pass-concentrator", "cn-separation-rest", "RE concentrate", 0, status="candidate", qm=Q_NEW, source="mp_q4",
     note="No volume since April 2025: MP halted China shipments (Q1 2025 only, ~8,000 t REO to Shenghe-affiliated separators; Shenghe took ~80% of MP revenue before). Resuming would need a new agreement.")
link("us-mountain-pass-concentrator", "cn-jiangsu-separation", "RE concentrate", 0, status="candidate", qm=Q_NEW, source="mp_q4",
     note="No volume since April 2025 (MP halted China shipments); concentrate not separated on site is stockpiled.")
link("us-mountain-pass-concentrator", "my-lynas-malaysia", "RE concentrate", 0, status="candidate", qm=Q_NEW, source="est",
     note="Hypothetical toll-separation route; no agreement known. Shows the only large operating ex-China light-REE separator.")
link("us-mining-rest", "us-white-mesa", "RE concentrate", 300, source="whitemesa", note="Monazite feed (USGS excludes monazite concentrates); estimated.")
link("au-mt-weld-mine", "au-mt-weld-concentrator", "RE ore", 26000)
link("au-mt-weld-concentrator", "au-lynas-kalgoorlie", "RE concentrate", 17000, source="lynas_fy25", note="Concentrate cracked at Kalgoorlie into MREC.")
link("au-mt-weld-concentrator", "my-lynas-malaysia", "RE concentrate", 3000, source="lynas_fy25", note="Residual direct concentrate shipments.")
link("au-lynas-kalgoorlie", "my-lynas-malaysia", "MREC", 12500, source="lynas_fy25", note="Kalgoorlie MREC shipped to Lynas Malaysia.")
link("au-lynas-kalgoorlie", "my-lynas-malaysia-hre", "MREC", 1500, source="lynas_hre", note="Heavy (SEGH) fraction routed to the HRE circuit.")
link("au-browns-range", "au-iluka-eneabba-refinery", "RE concentrate", 0, status="candidate", qm=Q_NEW, source="browns_range",
     note="Long-term offtake of the xenotime concentrate by Iluka for Eneabba (up to 100% of forecast output); no volume until the mine is built.")
link("au-mining-rest", "au-iluka-eneabba-refinery", "RE concentrate", 0, status="in_qualification", qm=Q_NEW, source="eneabba",
     note="Eneabba monazite concentrate stockpiled for the refinery under construction.")
link("au-nolans-mine", "au-nolans-refinery", "RE concentrate", 0, status="candidate", qm=Q_NEW, source="nolans", note="Integrated project; FID pending.")
link("mm-kachin-ionic-clays", "mm-kachin-leach", "RE ore", 22000, source="usgs", basis="reported", note="Internal transfer equal to the USGS 2025 country output (reported as a country estimate by USGS).")
link("mm-kachin-leach", "cn-creg-ganzhou-separation", "MREC", 15000, source="kachin", note="Estimated split of Myanmar MREC imports into China (Yunnan border crossings).")
link("mm-kachin-leach", "cn-jiangsu-separation", "MREC", 7000, source="kachin", note="Estimated split.")
link("la-ionic-clays", "cn-creg-ganzhou-separation", "MREC", 550, source="laos_chijin", note="Lao clays are mined by Chinese-owned operators for Chinese separators.")
link("la-ionic-clays", "la-vientiane-refinery", "MREC", 0, status="candidate", qm=Q_NEW, source="laos", note="Refinery never operated; Lao policy now favours local processing.")
link("th-ionic-clays", "cn-jiangsu-separation", "MREC", 3000, source="usgs", note="USGS estimates Thai output from Chinese imports.")
link("th-ionic-clays", "cn-separation-rest", "MREC", 1800, source="usgs")
link("mg-rest", "cn-separation-rest", "RE concentrate", 2700, source="usgs", basis="reported",
     note="Reported (customs statistics): USGS puts Madagascar's 2025 output at China's imports from it, so the whole figure is this flow.")
link("ng-rest", "cn-separation-rest", "RE concentrate", 1500, source="usgs", note="Assumed exported to China.")
link("vn-rest", "vn-vtre-separation", "RE concentrate", 150, source="usgs")
link("my-rest", "cn-separation-rest", "RE concentrate", 110, source="usgs", basis="reported",
     note="Reported (customs statistics): USGS puts Malaysia's 2025 mine output at China's imports from it, so the whole figure is this flow.")
link("in-irel-beach-sands", "in-irel-mineral-separation", "RE ore", 2900, source="usgs", basis="reported", note="Internal transfer equal to the USGS 2025 country output (reported as a country estimate by USGS).")
link("in-irel-mineral-separation", "in-irel-rare-earths-division", "RE concentrate", 2900, source="usgs", basis="reported",
     note="Internal transfer equal to the USGS 2025 India output: IREL is India's only rare-earth producer and processes its own monazite.")
link("ru-lovozero-mine", "ru-lovozero-concentrator", "RE ore", 2600, source="usgs", basis="reported", note="Internal transfer equal to the USGS 2025 country output (reported as a country estimate by USGS).")
link("ru-lovozero-concentrator", "ru-solikamsk", "RE concentrate", 2600, source="usgs", basis="reported",
     note="Equal to the USGS 2025 Russia output: Lovozero loparite concentrate is Russia's output and is processed at Solikamsk.")
link("br-serra-verde-pela-ema", "br-serra-verde-plant", "RE ore", 1520, source="usgs", note="Internal transfer equal to the mine estimate.")
link("br-inb-monazite", "ca-src-separation", "RE concentrate", 480, source="src_feed", note="SRC procured up to 800 t monazite (~480 t REO) from INB; annual rate assumed.")
link("br-serra-verde-plant", "cn-separation-rest", "RE concentrate", 1320, source="serraverde", note="Serra Verde concentrate has been sold into China; estimated.")
link("br-serra-verde-plant", "ca-src-separation", "RE concentrate", 0, status="candidate", qm=Q_NEW, source="serraverde", note="Hypothetical ex-China route; US DFC-financed project.")
link("br-serra-verde-plant", "ee-neo-silmet", "RE concentrate", 200, status="qualified", source="serraverde", note="Estimated small ex-China offtake.")
link("ao-longonjo-mrec", "gb-pensana-saltend", "MREC", 0, status="candidate", qm=Q_NEW, source="saltend")
link("ao-longonjo-mine", "ao-longonjo-mrec", "RE ore", 0, status="in_qualification", qm=12, source="longonjo", note="Under construction.")
link("ca-strange-lake", "ca-torngat-sept-iles", "RE concentrate", 0, status="candidate", qm=Q_NEW, source="torngat")
link("gl-tanbreez", "ee-neo-silmet", "RE concentrate", 0, status="candidate", qm=Q_NEW, source="tanbreez", note="Illustrative route to the only EU separator; no agreement.")
link("br-aclara-carina", "us-aclara-louisiana", "MREC", 0, status="candidate", qm=Q_NEW, source="aclara_us", note="Planned feed from mid-2028.")
link("za-phalaborwa", "us-white-mesa", "RE concentrate", 0, status="candidate", qm=Q_NEW, source="rainbow", note="Illustrative.")
link("au-mining-rest", "us-white-mesa", "RE concentrate", 0, status="candidate", qm=Q_NEW, source="whitemesa", note="Energy Fuels sources monazite from Australia/Brazil/Madagascar projects; illustrative.")
link("mg-rest", "us-white-mesa", "RE concentrate", 0, status="candidate", qm=Q_NEW, source="whitemesa", note="Illustrative (Energy Fuels Toliara).")
link("ca-strange-lake", "ca-src-separation", "RE concentrate", 0, status="candidate", qm=Q_NEW, source="src")
link("ru-lovozero-concentrator", "ee-neo-silmet", "RE concentrate", 0, status="candidate", qm=Q_NEW, source="silmet",
     note="Historical Silmet feed was Russian loparite products; sanctions make this a dormant route.")

# --- separators -> metal (NdPr oxide), and heavy flows (Dy/Tb oxide)
# China NdPr oxide 88,000 t/yr (SMM June 2024 x12) ; Dy oxide 2,570 ; Tb oxide 490
link("cn-nre-baotou-huamei", "cn-nre-metal", "NdPr oxide", 25000, source="smm_june", note="China NdPr oxide ~88,000 t/yr (SMM June 2024 x12) split by estimated producer share.")
link("cn-nre-baotou-huamei", "cn-metal-rest", "NdPr oxide", 5000, source="smm_june")
link("cn-creg-ganzhou-separation", "cn-creg-metal", "NdPr oxide", 9000, source="smm_june")
link("cn-shenghe-leshan", "cn-metal-rest", "NdPr oxide", 2000, source="smm_june")
link("cn-jiangsu-separation", "cn-metal-rest", "NdPr oxide", 3000, source="smm_june")
# China NdPr oxide ~88,000 t/yr (SMM June 2024 x12); the 43,500 t these three rows ship is split in proportion to the
# NdPr in their feed (Bayan Obo 24.7%, Sichuan bastnaesite 15.3%, imports ~20%, recycled oxide ~100% NdPr).
link("cn-nre-separation-other", "cn-metal-rest", "NdPr oxide", 20650 + 300, source="smm_june",
     note="Estimated: 43,500 t split by feed NdPr (60,500 t Bayan Obo concentrate x 24.7% = 14,940 t of 31,470 t), plus the 300 t ZAMR made before it closed (Q2 2024).")
link("cn-creg-separation-other", "cn-metal-rest", "NdPr oxide", 6975, source="smm_june",
     note="Estimated: 43,500 t split by feed NdPr (32,980 t Sichuan/Shandong concentrate x 15.3% = 5,050 t of 31,470 t).")
link("cn-separation-rest", "cn-metal-rest", "NdPr oxide", 15875, source="smm_june",
     note="Estimated: 43,500 t split by feed NdPr (recycled 8,000 t + imports and CREG remainder ~3,480 t of 31,470 t); includes ~8,000 t PrNd oxide from recycled feed.")
link("cn-ganzhou-scrap-recyclers", "cn-metal-rest", "recycled oxide", 4800, source="argus_recycled_2024",
     note="Estimated: separated Pr-Nd oxide from scrap sold to metal plants (China 26,504 t in 2024, Argus), beyond the 8,000 t counted in the separator rows.")
link("cn-ganzhou-scrap-recyclers", "cn-creg-metal", "recycled oxide", 500, source="argus_recycled_2024",
     note="Estimated: Ganzhou recyclers supply CREG's Ganzhou metal plants.")
link("cn-ganzhou-scrap-recyclers", "cn-separation-rest", "recycled oxide", 8000, source="smm_june",
     note="Cracked scrap (mixed RE oxide) re-separated in Jiangxi; SMM counts scrap-based PrNd oxide in its national total. "
          "Understated: China separated 34,147 t REO from magnet scrap in 2024 (26,504 t PrNd oxide, cn_recycled_2024), which "
          "cn-separation-rest's capacity counts; the flow stays at what the modelled scrap (28,000 t into this recycler) yields, "
          "since more scrap from China's magnet makers needs more NdPr metal than the metal stage models (data card, Known gaps).")
link("cn-creg-ganzhou-separation", "cn-creg-metal", "Dy oxide", 1400, source="smm_june", note="China Dy oxide ~2,570 t/yr (SMM 214 t/month x12); estimated split.")
link("cn-creg-ganzhou-separation", "cn-creg-metal", "Tb oxide", 270, source="smm_june", note="China Tb oxide ~490 t/yr (SMM 40.8 t/month x12); estimated split.")
link("cn-jiangsu-separation", "cn-metal-rest", "Dy oxide", 800, source="smm_june")
link("cn-jiangsu-separation", "cn-metal-rest", "Tb oxide", 150, source="smm_june")
link("cn-separation-rest", "cn-metal-rest", "Dy oxide", 370, source="smm_june")
link("cn-separation-rest", "cn-metal-rest", "Tb oxide", 70, source="smm_june")
link("cn-creg-ganzhou-separation", "jp-metal-makers", "Dy oxide", 20, source="cn_dy_exports",
     note="Chinese Dy/Tb exports under licence since Apr 2025; fell ~35-38% in 2025 (customs).")
link("cn-creg-ganzhou-separation", "jp-metal-makers", "Tb oxide", 10, source="cn_dy_exports")
# Lynas
link("my-lynas-malaysia", "jp-metal-makers", "NdPr oxide", 3500, source="jare", note="Lynas FY25 NdPr 6,558 t; Japan (JARE/Sojitz) is the anchor customer; split estimated.")
link("my-lynas-malaysia", "vn-metal-makers", "NdPr oxide", 1500, source="lynas_fy25", note="Estimated: Vietnamese metal makers serving Japanese magnet makers.")
link("my-lynas-malaysia", "cn-metal-rest", "NdPr oxide", 1000, source="lynas_fy25", note="Estimated residual sales into China.")
link("my-lynas-malaysia", "gb-lcm-ellesmere-port", "NdPr oxide", 300, source="lynas_fy25", note="Estimated.")
link("my-lynas-malaysia", "kr-js-link-yesan", "NdPr oxide", 0, status="candidate", qm=Q_NEW, source="jslink", note="Illustrative Korean route.")
link("my-lynas-malaysia-hre", "jp-metal-makers", "Dy oxide", 20, source="jare",
     note="Sojitz began importing Lynas heavy REs Q3 2025. 2025 volume estimated at ~40% of the 1,500 t/yr x 5% Dy yield (ramp-up from May 2025).")
link("my-lynas-malaysia-hre", "jp-metal-makers", "Tb oxide", 4, source="jare", note="~40% of 1,500 t x 1% Tb yield (ramp-up).")
link("my-lynas-malaysia-hre", "us-evac-sumter", "Dy oxide", 0, status="candidate", qm=Q_NEW, source="lynas_dy", note="Lynas engaged with US customers; illustrative.")
link("my-lynas-malaysia-hre", "de-vac-hanau", "Tb oxide", 0, status="candidate", qm=Q_NEW, source="lynas_dy", note="Lynas engaged with European customers; illustrative.")
# MP
link("us-mountain-pass-separation", "us-mp-independence-metal", "NdPr oxide", 600, source="mp_q4", note="Estimated internal transfer for Independence ramp.")
link("us-mountain-pass-separation", "jp-metal-makers", "NdPr oxide", 1500, source="mp_q4", note="Estimated: MP sold NdPr oxide to Japanese customers after halting China sales.")
link("us-mountain-pass-separation", "vn-metal-makers", "NdPr oxide", 400, source="mp_q4", note="Estimated.")
link("us-mountain-pass-separation", "cn-metal-rest", "NdPr oxide", 99, source="mp_q4", note="Estimated Q1-2025 residual sales.")
link("us-mountain-pass-hre", "us-mp-independence-metal", "Dy oxide", 0, status="candidate", qm=Q_NEW, source="mp_q4", note="Dy/Tb output expected late 2026.")
# others
link("ee-neo-silmet", "cn-metal-rest", "NdPr oxide", 300, source="neo_cn", note="Estimated: Silmet oxide converted to metal in China for Neo's magnet businesses.")
link("cn-neo-zamr", "cn-metal-rest", "NdPr oxide", 0, status="candidate", qm=Q_NEW, source="neo_shenghe", note="Plant closed in Q2 2024; its 300 t moved to cn-nre-separation-other.")
link("cn-neo-jamr", "cn-metal-rest", "NdPr oxide", 200, source="neo_cn", note="Estimated NdPr share of the JAMR quota.")
link("cn-baotou-concentrator", "cn-neo-zamr", "RE concentrate", 0, status="candidate", qm=Q_NEW, source="neo_shenghe", note="Plant closed in Q2 2024; its 1,500 t of Baotou concentrate moved to cn-nre-separation-other.")
link("cn-creg-light-mines", "cn-neo-jamr", "RE concentrate", 1100, source="neo_cn", note="Estimated domestic feed within the JAMR quota.")
link("au-lynas-kalgoorlie", "ee-neo-silmet", "MREC", 1000, source="neo_cn",
     note="Neo reports Silmet feed from Australia via Malaysia (plus Russia, China, Vietnam); modelled as Lynas mixed material, route simplified; volume estimated.")
link("my-lynas-malaysia", "us-noveon-san-marcos", "NdPr oxide", 0, status="candidate", qm=Q_NEW, source="lynas_noveon", note="Non-binding MoU (Oct 2025) to supply LRE oxides to Noveon.")
link("my-lynas-malaysia-hre", "us-noveon-san-marcos", "Dy oxide", 0, status="candidate", qm=Q_NEW, source="lynas_noveon", note="Non-binding MoU (Oct 2025) includes HRE (Dy/Tb) oxides.")
link("my-lynas-malaysia-hre", "us-noveon-san-marcos", "Tb oxide", 0, status="candidate", qm=Q_NEW, source="lynas_noveon", note="Non-binding MoU (Oct 2025) includes HRE (Dy/Tb) oxides.")
link("ee-neo-silmet", "gb-lcm-ellesmere-port", "NdPr oxide", 100, source="silmet", note="Estimated.")
link("fr-solvay-la-rochelle", "gb-lcm-ellesmere-port", "NdPr oxide", 100, source="solvay", note="Estimated; magnet line since Apr 2025 (several hundred t).")
link("ca-cyclic-materials", "fr-solvay-la-rochelle", "recycled oxide", 40, source="solvay_cap", note="Supply agreement for mixed RE oxides from 2024 (reported); volume estimated.")
link("fr-solvay-la-rochelle", "us-noveon-san-marcos", "NdPr oxide", 0, status="in_qualification", qm=12, source="solvay_us", note="Supply contract; deliveries from 2026.")
link("fr-solvay-la-rochelle", "us-noveon-san-marcos", "Dy oxide", 0, status="in_qualification", qm=12, source="solvay_us", note="Supply contract incl. Dy and Tb partly from end-of-life material; deliveries from 2026.")
link("fr-solvay-la-rochelle", "us-noveon-san-marcos", "Tb oxide", 0, status="in_qualification", qm=12, source="solvay_us")
link("au-hastings-yangibana", "fr-solvay-la-rochelle", "MREC", 0, status="candidate", qm=Q_NEW, source="hastings", note="Non-binding MOU for 2,500 t/yr MREC (2022); Yangibana not in production.")
link("fr-solvay-la-rochelle", "de-vac-hanau", "NdPr oxide", 0, status="in_qualification", qm=Q_AUTO, source="solvay", note="Announced European supply ambitions; illustrative.")
link("us-white-mesa", "us-mp-independence-metal", "NdPr oxide", 0, status="candidate", qm=Q_NEW, source="whitemesa", note="Illustrative US route.")
link("us-white-mesa", "jp-metal-makers", "NdPr oxide", 100, source="ef_2024", note="Estimated small campaign-based Phase-1 sales (Q2-2024 campaign produced 25-35 t); customer not public, routed to metal makers.")
link("in-irel-rare-earths-division", "jp-metal-makers", "NdPr oxide", 200, source="proterial", note="India exports neodymium to Japan for processing (Mint).")
link("ru-solikamsk", "cn-metal-rest", "NdPr oxide", 150, source="usgs", note="Estimated.")
link("ca-src-separation", "ca-src-metal", "NdPr oxide", 120, source="src_feed", note="Estimated: ~540 t REO feed x ~22% NdPr share of monazite (ramp-up year).")
link("vn-vtre-separation", "vn-metal-makers", "NdPr oxide", 20, source="vtre", note="Estimated from ~150 t REO feed.")
link("us-reelement-indiana", "us-mp-independence-metal", "NdPr oxide", 0, status="candidate", qm=Q_NEW, source="osc")
link("us-reelement-indiana", "us-vulcan-benson", "NdPr oxide", 0, status="candidate", qm=Q_NEW, source="osc",
     note="Joint OSC conditional loan commitment (US$620M Vulcan Elements, US$80M ReElement, Nov 2025) for a domestic oxide-to-magnet chain.")
link("us-ucore-louisiana", "us-mp-independence-metal", "NdPr oxide", 0, status="candidate", qm=Q_NEW, source="ucore")
link("us-aclara-louisiana", "us-evac-sumter", "Dy oxide", 0, status="candidate", qm=Q_NEW, source="aclara_us")
link("au-iluka-eneabba-refinery", "jp-metal-makers", "NdPr oxide", 0, status="candidate", qm=Q_NEW, source="eneabba")
link("au-iluka-eneabba-refinery", "jp-metal-makers", "Dy oxide", 0, status="candidate", qm=Q_NEW, source="eneabba")
link("au-nolans-refinery", "kr-hyundai-kia", "NdPr oxide", 0, status="candidate", qm=Q_NEW, source="nolans_hyundai",
     note="Binding offtake up to 1,500 t/yr NdPr oxide or metal over 7 years (2022) once Nolans produces.")
link("ca-torngat-sept-iles", "ca-src-metal", "NdPr oxide", 0, status="candidate", qm=Q_NEW, source="torngat")
link("la-vientiane-refinery", "vn-metal-makers", "NdPr oxide", 0, status="candidate", qm=Q_NEW, source="laos")
link("my-lynas-malaysia-hre2", "jp-metal-makers", "Dy oxide", 0, status="candidate", qm=Q_NEW, source="lynas_hre2")
link("us-lynas-seadrift", "us-evac-sumter", "NdPr oxide", 0, status="candidate", qm=Q_NEW, source="lynas_tx", note="Project unlikely to proceed.")

# --- metal -> alloy / magnet (t metal)
link("cn-nre-metal", "cn-nre-alloy", "NdPr metal", 11700, source="nremm_2024",
     note="Estimated: NRE casts its own Baotou metal into NREMM alloy (was 6,000 t to cn-alloy-rest and 5,700 t to cn-magnet-rest).")
link("cn-nre-metal", "cn-jl-mag", "NdPr metal", 5000, note="JL MAG Baotou base sources locally; estimated.")
link("cn-nre-metal", "cn-ningbo-yunsheng", "NdPr metal", 3500)
link("cn-nre-metal", "cn-xiamen-tungsten-baotou", "NdPr metal", 800, source="xtc_baotou",
     note="Estimated: Baotou metal for ~2,000 t of magnets in the ramp-up year (0.409 t NdPr metal per t magnet), taken from NRE's metal to the China rest.")
link("cn-creg-metal", "cn-jl-mag", "NdPr metal", 4500, note="Ganzhou base.")
link("cn-creg-metal", "cn-jl-mag", "Dy metal", 250, note="High-coercivity EV grades; Dy/Tb metal demand estimated from ~1% Dy+Tb average content.")
link("cn-creg-metal", "cn-jl-mag", "Tb metal", 60)
link("cn-creg-metal", "cn-zhong-ke-san-huan", "NdPr metal", 2500)
link("cn-creg-metal", "cn-zhong-ke-san-huan", "Dy metal", 150, source="zksh_2022", note="Zhong Ke San Huan demand >250 t Dy oxide historically (zh-magnets.com); estimated.")
link("cn-creg-metal", "cn-magnet-rest", "Dy metal", 600)
link("cn-creg-metal", "cn-magnet-rest", "Tb metal", 120)
link("cn-creg-metal", "cn-magnet-rest", "NdPr metal", 1000)
link("cn-metal-rest", "cn-magnet-rest", "NdPr metal", 25800, source="argus_prnd_2024",
     note="Estimated: was 22,000 t on SMM's June-2024 run-rate x12; raised with China's 2024 metal output (~88,000 t, Argus).")
link("cn-metal-rest", "cn-zhenghai-magnetic", "NdPr metal", 4000)
link("cn-metal-rest", "cn-zhong-ke-san-huan", "NdPr metal", 3000)
link("cn-metal-rest", "cn-ningbo-yunsheng", "NdPr metal", 2500)
link("cn-metal-rest", "cn-zhenghai-magnetic", "Dy metal", 100)
link("cn-metal-rest", "cn-zhenghai-magnetic", "Tb metal", 30)
link("cn-metal-rest", "cn-ningbo-yunsheng", "Dy metal", 100, note="Yunsheng Dy oxide demand >100 t historically (zh-magnets.com).")
link("cn-metal-rest", "cn-magnet-rest", "Dy metal", 700)
link("cn-metal-rest", "cn-magnet-rest", "Tb metal", 150)
link("cn-metal-rest", "cn-tdk-rising", "NdPr metal", 400)
link("cn-metal-rest", "cn-shin-etsu-china", "NdPr metal", 900)
link("cn-metal-rest", "cn-proterial-china", "NdPr metal", 600)
link("cn-metal-rest", "cn-alloy-rest", "NdPr metal", 8000)
link("cn-metal-rest", "cn-nre-alloy", "NdPr metal", 2400, source="nremm_2024", note="Estimated: Baotou private metal plants top up NREMM's alloy feed.")
link("cn-metal-rest", "jp-alloy-makers", "NdPr metal", 800, note="Chinese metal exports to Japan; estimated.")
link("cn-metal-rest", "vn-sgi-vina", "NdPr metal", 1000, note="Chinese metal to Vietnam; estimated.")
link("cn-metal-rest", "vn-baotou-inst", "NdPr metal", 300)
link("cn-metal-rest", "de-vac-hanau", "NdPr metal", 200, note="Estimated; VAC historically bought Chinese feed.")
link("cn-metal-rest", "ee-neo-narva", "NdPr metal", 150, note="Estimated; Neo metal from its Chinese (Jiangyin) plant.")
link("cn-metal-rest", "kr-js-link-yesan", "NdPr metal", 200)
link("cn-metal-rest", "us-noveon-san-marcos", "NdPr metal", 100, note="Estimated virgin top-up; Noveon is mostly recycled feed.")
link("cn-metal-rest", "de-vac-hanau", "Dy metal", 10, note="Licensed exports; estimated.")
link("cn-metal-rest", "th-neo-magnequench", "NdPr metal", 500, note="Estimated.")
link("jp-metal-makers", "jp-alloy-makers", "NdPr metal", 3600, note="Lynas/MP/IREL oxide converted in Japan.")
link("jp-metal-makers", "jp-daido-electronics", "NdPr metal", 250)
link("jp-metal-makers", "jp-shin-etsu-takefu", "Dy metal", 30, note="Lynas + licensed Chinese Dy; estimated.")
link("jp-metal-makers", "jp-shin-etsu-takefu", "Tb metal", 10)
link("vn-metal-makers", "jp-alloy-makers", "NdPr metal", 1200, note="Vietnamese NdPr metal for Japanese magnet makers; estimated.")
link("vn-metal-makers", "vn-shin-etsu-haiphong", "NdPr metal", 450)
link("gb-lcm-ellesmere-port", "gb-lcm-alloy", "NdPr metal", 150)
link("gb-lcm-ellesmere-port", "de-vac-hanau", "NdPr metal", 150, note="Estimated.")
link("gb-lcm-ellesmere-port", "us-usar-stillwater", "NdPr metal", 0, status="in_qualification", qm=Q_NEW, source="lcm", note="Same owner since Nov 2025; plant under construction.")
link("gb-lcm-alloy", "us-usar-stillwater", "NdFeB alloy", 0, status="in_qualification", qm=Q_NEW, source="lcm",
     note="USAR (completion of the LCM acquisition, 18 Nov 2025): LCM will supply NdFeB strip-cast alloy to Stillwater; no volume until the magnet plant produces.")
link("gb-lcm-ellesmere-port", "us-arnold-smco", "SmCo alloy", 50, note="LCM supplies SmCo alloy; estimated.")
link("fr-caremag-lacq", "fr-lcm-lacq", "NdPr oxide", 0, status="candidate", qm=Q_NEW, source="lcm_lacq", note="Co-located plants at Lacq; both under construction or planned.")
link("fr-caremag-lacq", "fr-lcm-lacq", "Dy oxide", 0, status="candidate", qm=Q_NEW, source="lcm_lacq")
link("fr-lcm-lacq", "de-vac-hanau", "NdPr metal", 0, status="candidate", qm=Q_NEW, source="lcm_lacq", note="Illustrative European route (LCM already supplies VAC from the UK).")
link("ca-src-metal", "us-noveon-san-marcos", "NdPr metal", 50, source="src", note="Estimated; SRC metal marketed to North American magnet makers.")
link("ca-src-metal", "us-evac-sumter", "NdPr metal", 50, source="src", note="Estimated.")
link("ca-src-metal", "us-mp-independence", "NdPr metal", 0, status="candidate", qm=Q_NEW, source="src")
link("us-mp-independence-metal", "us-mp-independence-alloy", "NdPr metal", 450, source="mp_indep", note="Ramp-up year; estimated.")
link("us-mp-independence-metal", "us-evac-sumter", "NdPr metal", 0, status="in_qualification", qm=Q_NEW, source="mp_q4", note="Illustrative domestic route.")

# --- alloy -> magnet (t alloy)
link("cn-alloy-rest", "cn-magnet-rest", "NdFeB alloy", 25000, note="Estimated: merchant alloy outside NREMM (was 50,000 t, which included NREMM's).")
link("cn-nre-alloy", "cn-magnet-rest", "NdFeB alloy", 45000, source="nremm_2024",
     note="Estimated: NREMM made 4,000-6,000 t a month in 2024 (~48,000-72,000 t/yr); modelled at the 14,100 t of NdPr metal routed to it / 0.313.")
link("cn-alloy-rest", "cn-northern-zhaobao", "NdFeB alloy", 0, status="in_qualification", qm=Q_AUTO, source="huamei")
link("cn-nre-alloy", "cn-northern-zhaobao", "NdFeB alloy", 0, status="in_qualification", qm=Q_AUTO, source="nre_alloy")
link("jp-alloy-makers", "jp-shin-etsu-takefu", "NdFeB alloy", 1800)
link("jp-alloy-makers", "jp-tdk-magnets", "NdFeB alloy", 1100)
link("jp-alloy-makers", "jp-proterial-neomax", "NdFeB alloy", 1300)
link("jp-alloy-makers", "jp-daido-electronics", "NdFeB alloy", 300)
link("gb-lcm-alloy", "de-vac-hanau", "NdFeB alloy", 100, note="Estimated.")
link("gb-lcm-alloy", "ee-neo-narva", "NdFeB alloy", 200, note="Estimated.")
link("us-mp-independence-alloy", "us-mp-independence", "NdFeB alloy", 1000, source="mp_indep")
link("th-neo-magnequench", "cn-magnet-rest", "NdFeB alloy", 500, source="overseas_cap", note="Bonded powder sold to bonded-magnet makers (mostly in China); volume estimated.")
link("th-neo-magnequench", "jp-tdk-magnets", "NdFeB alloy", 150, source="overseas_cap", note="Estimated.")
link("th-neo-magnequench", "jp-nidec", "NdFeB alloy", 0, status="candidate", qm=Q_AUTO, source="overseas_cap", note="Bonded powder is sold to bonded-magnet makers; illustrative.")

# --- magnet -> motor / oem (t magnet)
M = "NdFeB magnet"
# JL MAG (finished ~21-28 kt)
link("cn-jl-mag", "cn-findreams", M, 3000, source="jlmag_baotou", note="BYD is a named JL MAG customer; volume estimated.")
link("cn-jl-mag", "us-tesla-drive-units", M, 1500, source="jlmag_baotou", note="Tesla is a named JL MAG customer; volume estimated.")
link("cn-jl-mag", "jp-denso-aisin", M, 1200, source="jlmag_baotou", note="Toyota is a named JL MAG customer; volume estimated.")
link("cn-jl-mag", "es-siemens-gamesa", M, 800, source="jlmag_baotou", note="Siemens Gamesa is a named JL MAG customer; volume estimated.")
link("cn-jl-mag", "cn-goldwind", M, 1500, source="jlmag_baotou", note="JL MAG: ~7% wind in 2024 mix; estimated.")
link("cn-jl-mag", "cn-appliances", M, 6000, source="jlmag_baotou", note="JL MAG 2024 mix ~25% inverter air-conditioners.")
link("cn-jl-mag", "cn-motor-rest", M, 4000, source="jlmag_baotou", note="JL MAG 2024 mix ~50% NEV.")
link("cn-jl-mag", "de-bosch-emotors", M, 300)
link("cn-jl-mag", "us-borgwarner", M, 300)
link("cn-jl-mag", "cn-industrial-rest", M, 3000)
# Yunsheng / ZKSH / Zhenghai / JVs
link("cn-ningbo-yunsheng", "cn-motor-rest", M, 3000)
link("cn-ningbo-yunsheng", "de-bosch-emotors", M, 300)
link("cn-ningbo-yunsheng", "de-zf-emotors", M, 200)
link("cn-ningbo-yunsheng", "cn-industrial-rest", M, 4000)
link("cn-ningbo-yunsheng", "cn-consumer-rest", M, 3000)
link("cn-zhong-ke-san-huan", "cn-motor-rest", M, 3000)
link("cn-zhong-ke-san-huan", "jp-nidec", M, 300)
link("cn-zhong-ke-san-huan", "cn-consumer-rest", M, 4000)
link("cn-zhong-ke-san-huan", "cn-appliances", M, 4000)
link("cn-zhenghai-magnetic", "cn-motor-rest", M, 2500)
link("cn-zhenghai-magnetic", "de-zf-emotors", M, 200)
link("cn-zhenghai-magnetic", "us-borgwarner", M, 200)
link("cn-zhenghai-magnetic", "cn-industrial-rest", M, 3000)
link("cn-zhenghai-magnetic", "cn-appliances", M, 3000)
link("cn-tdk-rising", "jp-denso-aisin", M, 500)
link("cn-tdk-rising", "cn-consumer-rest", M, 500)
link("cn-ningbo-yunsheng", "cn-inovance", M, 1000,
     note="Estimated: moved from cn-shin-etsu-china, which is an alloy plant (magnet-stage audit, Dec 2026); Yunsheng has the spare capacity and NdPr metal.")
link("cn-ningbo-yunsheng", "cn-appliances", M, 1000,
     note="Estimated: moved from cn-shin-etsu-china, which is an alloy plant (magnet-stage audit, Dec 2026); Yunsheng has the spare capacity and NdPr metal.")
link("cn-shin-etsu-china", "jp-shin-etsu-takefu", "NdFeB alloy", 2000, source="shinetsu_longyan",
     note="Estimated: Shin-Etsu's Longyan alloy plant supplies its own sintering in Japan; 900 t NdPr metal / 0.313 t per t alloy = ~2,900 t possible, 2,000 t used.")
link("cn-proterial-china", "cn-motor-rest", M, 800)
link("cn-proterial-china", "cn-industrial-rest", M, 500)
# China rest (~190 kt)
link("cn-magnet-rest", "cn-findreams", M, 3900, source="auto_units_2025", year=2025,
     note="Estimated: sized so FinDreams' inflow (with JL MAG's 3,000 t) matches BYD's ~4.6 million NEVs of 2025 x 1.5 kg; the 500 t added in Dec 2026 were taken from this maker's direct supply to the China NEV residual.")
link("cn-magnet-rest", "cn-inovance", M, 1500)
link("cn-magnet-rest", "cn-motor-rest", M, 3000)
link("cn-magnet-rest", "cn-geely", M, 2500)
link("cn-magnet-rest", "cn-nev-oem-rest", M, 5500, note="Estimated: direct supply to OEM in-house motor lines (500 t moved to BYD's FinDreams, Dec 2026).")
link("cn-magnet-rest", "cn-goldwind", M, 4500)
link("cn-magnet-rest", "cn-wind-rest", M, 6000)
link("cn-magnet-rest", "cn-industrial-rest", M, 46000)
link("cn-xiamen-tungsten-baotou", "cn-industrial-rest", M, 2000, source="xtc_baotou",
     note="Estimated: ramp-up output (~40% of phase I) to energy-efficient motors and other industrial uses, taken from the China rest's supply.")
link("cn-magnet-rest", "cn-appliances", M, 16000)
link("cn-magnet-rest", "cn-consumer-rest", M, 32000)
link("cn-magnet-rest", "kr-samsung", M, 1200)
link("cn-magnet-rest", "us-apple", M, 900)
link("cn-magnet-rest", "jp-consumer-rest", M, 3000)
link("cn-magnet-rest", "eu-industrial-rest", M, 5000)
link("cn-magnet-rest", "eu-auto-rest", M, 2500)
link("cn-magnet-rest", "de-siemens-motors", M, 400)
link("cn-magnet-rest", "ch-abb-motors", M, 350)
link("cn-magnet-rest", "jp-yaskawa", M, 200)
link("cn-magnet-rest", "dk-vestas", M, 1300)
link("cn-magnet-rest", "us-ge-vernova", M, 600)
link("cn-magnet-rest", "es-siemens-gamesa", M, 1000)
link("cn-magnet-rest", "kr-hyundai-mobis", M, 800)
link("cn-magnet-rest", "de-bosch-emotors", M, 300)
link("cn-magnet-rest", "us-borgwarner", M, 300)
link("cn-magnet-rest", "jp-nidec", M, 500)
link("cn-magnet-rest", "us-tesla-drive-units", M, 900)
# Japan
link("jp-shin-etsu-takefu", "jp-denso-aisin", M, 1500)
link("jp-shin-etsu-takefu", "jp-nidec", M, 200)
link("jp-shin-etsu-takefu", "eu-auto-rest", M, 500)
link("jp-shin-etsu-takefu", "es-siemens-gamesa", M, 200)
link("jp-shin-etsu-takefu", "us-lockheed-martin", "NdFeB magnet", 0, status="candidate", qm=Q_DEF, source="est", note="DFARS-compliant non-Chinese source; qualification time assumed (AS9102 lead time not found).")
link("jp-tdk-magnets", "jp-denso-aisin", M, 500)
link("jp-tdk-magnets", "jp-consumer-rest", M, 300)
link("jp-tdk-magnets", "kr-samsung", M, 200)
link("jp-proterial-neomax", "jp-denso-aisin", M, 300)
link("jp-proterial-neomax", "jp-yaskawa", M, 200)
link("jp-proterial-neomax", "eu-auto-rest", M, 400)
link("jp-proterial-neomax", "us-borgwarner", M, 0, status="candidate", qm=Q_AUTO)
link("jp-daido-electronics", "jp-denso-aisin", M, 400, source="japan_hre_free", note="HRE-free hot-deformed magnets for hybrid motors; estimated.")
# Vietnam / Korea
link("vn-shin-etsu-haiphong", "jp-nidec", M, 200)
link("vn-shin-etsu-haiphong", "eu-auto-rest", M, 200)
link("vn-sgi-vina", "kr-hyundai-mobis", M, 200, source="sgi")
link("vn-sgi-vina", "kr-samsung", M, 100, source="sgi")
link("vn-sgi-vina", "eu-industrial-rest", M, 300, source="sgi")
link("vn-baotou-inst", "jp-consumer-rest", M, 200)
link("kr-js-link-yesan", "kr-hyundai-mobis", M, 0, status="in_qualification", qm=Q_AUTO, source="jslink")
link("kr-js-link-yesan", "kr-samsung", M, 150, source="jslink")
# Europe
link("de-vac-hanau", "es-siemens-gamesa", M, 0, status="candidate", qm=Q_AUTO)
link("de-vac-hanau", "de-bosch-emotors", M, 100)
link("de-vac-hanau", "de-siemens-motors", M, 100)
link("de-vac-hanau", "us-defense-motor-makers", M, 30, source="vac", note="VAC supplies defense customers; estimated.")
link("de-vac-hanau", "gb-bae-systems", M, 20)
link("de-vac-hanau", "eu-industrial-rest", M, 300, source="vac")
link("de-vac-hanau", "eu-auto-rest", M, 300, source="vac")
link("ee-neo-narva", "de-bosch-emotors", M, 0, status="in_qualification", qm=Q_AUTO, source="narva")
link("ee-neo-narva", "eu-auto-rest", M, 100, source="narva", note="Ramp-up; estimated.")
link("ee-neo-narva", "es-siemens-gamesa", M, 0, status="candidate", qm=Q_AUTO, source="narva")
# US
link("us-mp-independence", "us-gm", M, 300, source="mp_gm",
     note="GM is the anchor customer (US$150M prepayment). Ramp volume 2025-26 estimated; auto PPAP still under way Feb 2026.")
link("us-mp-independence", "us-apple", M, 0, status="in_qualification", qm=Q_NEW, source="mp_apple_2025",
     note="Recycled-content magnets for Apple under the July 2025 agreement; shipments from 2027, so no 2025 volume.")
link("us-mp-independence", "us-defense-motor-makers", M, 20, source="mp_dod", note="DoD offtake; estimated.")
link("us-evac-sumter", "us-gm", M, 150, source="evac_gm", note="Binding long-term GM supply agreement; start-up volume estimated.")
link("us-evac-sumter", "us-defense-motor-makers", M, 10, source="evac")
link("us-noveon-san-marcos", "jp-nidec", M, 200, source="noveon_nidec", basis="reported", note="1,000 t over 5 years = 200 t/yr.")
link("us-noveon-san-marcos", "us-defense-motor-makers", M, 20, source="noveon", note="Noveon supplies DoD programmes; estimated.")
link("us-noveon-san-marcos", "us-lockheed-martin", M, 0, status="candidate", qm=Q_DEF)
link("us-arnold-smco", "us-rtx", "SmCo magnet", 30)
link("us-arnold-smco", "us-lockheed-martin", "SmCo magnet", 20)
link("us-arnold-smco", "us-northrop-grumman", "SmCo magnet", 10)
link("us-vulcan-benson", "us-defense-motor-makers", M, 0, status="candidate", qm=Q_DEF, source="vulcan")
link("us-vulcan-rtp", "us-defense-motor-makers", M, 0, status="in_qualification", qm=Q_DEF, source="vulcan_pilot",
     note="Nine DoD contracts (2025), delivered in small lots from the ~10 t/yr pilot; volumes and the pilot's metal/alloy suppliers are not published, so the link carries no modelled volume (every modelled tonne must trace back to a mine).")
link("us-usar-stillwater", "us-defense-motor-makers", M, 0, status="candidate", qm=Q_DEF, source="usar")
link("us-usar-stillwater-alloy", "us-usar-stillwater", "NdFeB alloy", 0, status="candidate", qm=Q_NEW, source="usar_chips",
     note="Planned in-house strip-cast feed for the magnet plant; no volume until the line is built.")
link("us-js-link-columbus", "kr-hyundai-mobis", M, 0, status="candidate", qm=Q_AUTO, source="jslink")
link("us-mp-10x", "us-defense-motor-makers", M, 0, status="candidate", qm=Q_DEF, source="mp_dod", note="DoD 10-year offtake of 10X output.")
link("us-mp-independence", "us-ford", M, 0, status="candidate", qm=Q_NEW, source="ford")
link("us-evac-sumter", "us-ford", M, 0, status="candidate", qm=Q_NEW, source="ford")

# --- motors -> OEMs (t magnet contained)
link("cn-findreams", "cn-byd", "motor", 6900, source="auto_units_2025", year=2025, note="Estimated: ~4.6 million BYD NEVs 2025 x 1.5 kg.")
link("us-tesla-drive-units", "us-tesla", "motor", 2400)
link("jp-denso-aisin", "jp-toyota", "motor", 4400, source="auto_units_2025", year=2025, note="Estimated: all of the Toyota-group motor makers' magnet intake goes to Toyota.")
link("cn-motor-rest", "jp-toyota", "motor", 600, source="auto_units_2025", year=2025,
     note="Estimated: hybrid motors made in China for Toyota's Chinese joint ventures (1.78 million Toyota sales in China 2025), closing Toyota's ~5,000 t.")
link("jp-nidec", "cn-nev-oem-rest", "motor", 500, note="Nidec traction motors sold mainly to Chinese OEMs; estimated.")
link("jp-nidec", "jp-fanuc-yaskawa", "motor", 300)
link("jp-nidec", "eu-industrial-rest", "motor", 400)
link("jp-nidec", "us-gm", "motor", 0, status="candidate", qm=Q_AUTO)
link("us-borgwarner", "de-volkswagen", "motor", 200)
link("us-borgwarner", "eu-auto-rest", "motor", 300)
link("us-borgwarner", "us-ford", "motor", 200)
link("us-borgwarner", "cn-nev-oem-rest", "motor", 100)
link("de-bosch-emotors", "de-volkswagen", "motor", 300)
link("de-bosch-emotors", "de-bmw", "motor", 200)
link("de-bosch-emotors", "eu-auto-rest", "motor", 500)
link("de-zf-emotors", "de-bmw", "motor", 200)
link("de-zf-emotors", "eu-auto-rest", "motor", 200)
link("cn-inovance", "cn-nev-oem-rest", "motor", 1500)
link("cn-inovance", "cn-industrial-rest", "motor", 1000)
link("cn-motor-rest", "cn-nev-oem-rest", "motor", 6000)
link("cn-motor-rest", "cn-geely", "motor", 900, source="auto_units_2025", year=2025,
     note="Estimated: Geely's 2025 NEV growth (2.29 million x 1.5 kg = ~3,400 t) beyond the 2,500 t of magnets it buys directly, supplied as motors by Chinese motor makers.")
link("cn-motor-rest", "de-volkswagen", "motor", 1600, source="auto_units_2025", year=2025,
     note="Estimated: VW China joint-venture EVs and Chinese-made motors or magnets in VW's own drive units; sized so VW reaches 1.41 million BEV+PHEV (2025) x 1.5 kg = ~2,100 t.")
link("cn-motor-rest", "us-tesla", "motor", 50, source="auto_units_2025", year=2025,
     note="Estimated: small motors from Chinese suppliers; cut from 300 t so Tesla totals 1,636,129 deliveries (2025) x 1.5 kg.")
link("cn-motor-rest", "cn-wind-rest", "motor", 0, status="candidate", qm=Q_AUTO)
link("cn-motor-rest", "eu-auto-rest", "motor", 1500)
link("cn-motor-rest", "us-ford", "motor", 200)
link("cn-motor-rest", "us-gm", "motor", 150, note="EPS and auxiliary motors with Chinese magnets reaching GM through tier-1 suppliers; estimated.")
link("cn-motor-rest", "cn-industrial-rest", "motor", 4000)
link("de-siemens-motors", "de-siemens-industrial", "motor", 500)
link("ch-abb-motors", "ch-abb-industrial", "motor", 350)
link("jp-yaskawa", "jp-fanuc-yaskawa", "motor", 400)
link("us-defense-motor-makers", "us-lockheed-martin", "motor", 40)
link("us-defense-motor-makers", "us-rtx", "motor", 20)
link("us-defense-motor-makers", "us-northrop-grumman", "motor", 10)
link("us-defense-motor-makers", "gb-bae-systems", "motor", 0, status="candidate", qm=Q_DEF)
link("kr-hyundai-mobis", "kr-hyundai-kia", "motor", 1000)

# --- recycling loops (into and out of recyclers)
link("cn-industrial-rest", "cn-ganzhou-scrap-recyclers", "magnet scrap", 2000, note="End-of-life scrap; most feed is manufacturing swarf (below).")
link("cn-magnet-rest", "cn-ganzhou-scrap-recyclers", "magnet scrap", 22000, note="Manufacturing swarf/sludge (~25-30% of blanks) returned for recycling; estimated (was 20,000 t; raised with the recycled oxide of the metal audit).")
link("cn-jl-mag", "cn-ganzhou-scrap-recyclers", "magnet scrap", 6000, source="jlmag", note="JL MAG: blanks 29,300 t vs finished ~20,900 t; ~30% recycled inputs.")
for _maker, _scrap in [("cn-ningbo-yunsheng", 3900), ("cn-zhenghai-magnetic", 3650), ("cn-zhong-ke-san-huan", 4630), ("cn-proterial-china", 530)]:
    link(_maker, "cn-ganzhou-scrap-recyclers", "magnet scrap", _scrap, source="argus_recycled_2024",
         note="Estimated machining scrap: finished magnets shipped x (1/0.71 - 1) = 0.41 t scrap per t (blanks basis, Estimation method 4); "
              "Chinese scrap is ~25-30% of magnet output (Argus). Added in the metal audit: the Nd+Pr it carries was unshipped slack. "
              "Ningbo Yunsheng's is cut to 3,900 t (0.41 x 12,500 t = 5,100 t) to keep its magnets plus scrap within 110% of its capacity.")
link("us-apple", "us-mp-recycling", "magnet scrap", 0, status="candidate", qm=Q_NEW, source="mp_apple_2025", note="Apple-MP recycled-magnet programme; no volume until the recycling line runs.")
link("us-mp-recycling", "us-mountain-pass-separation", "recycled oxide", 0, status="candidate", qm=Q_NEW, source="mp_apple_2025", note="Recycled feed to re-enter separation at Mountain Pass once the line is built.")
link("us-noveon-recycling", "us-noveon-san-marcos", "NdFeB alloy", 400, source="noveon", note="Magnet-to-magnet feed: recycled NdFeB powder (recorded as NdFeB alloy); estimated.")
link("eu-industrial-rest", "us-noveon-recycling", "magnet scrap", 400, note="End-of-life drives and HDDs; estimated.")
link("jp-consumer-rest", "gb-hypromag-tyseley", "magnet scrap", 150, source="hypromag", note="HDD and e-waste feed; estimated.")
link("gb-hypromag-tyseley", "de-vac-hanau", "NdFeB alloy", 0, status="candidate", qm=Q_AUTO, source="hypromag", note="Recycled NdFeB powder/blocks; illustrative.")
link("gb-hypromag-tyseley", "eu-auto-rest", "NdFeB magnet", 100, source="hypromag", note="Re-sintered magnets; estimated.")
link("eu-auto-rest", "ca-cyclic-materials", "magnet scrap", 80, note="End-of-life motors; estimated.")
link("ca-cyclic-materials", "ee-neo-silmet", "recycled oxide", 0, status="candidate", qm=Q_NEW, note="Illustrative.")
link("ca-cyclic-materials", "ca-src-separation", "recycled oxide", 20, note="Estimated; mixed RE oxide product.")
link("us-cyclic-materials-mesa", "ca-cyclic-kingston-coe", "magnet scrap", 0, status="candidate", qm=Q_NEW, source="cyclic_kingston",
     note="Spoke-to-hub route: magnets separated in Mesa feed the Kingston hub; both under construction.")
link("ca-cyclic-kingston-coe", "fr-solvay-la-rochelle", "recycled oxide", 0, status="candidate", qm=Q_NEW, source="cyclic_kingston",
     note="Solvay offtake of Cyclic's recycled mixed rare earth oxide (agreement of 2024); no volume until the hub runs.")
link("eu-industrial-rest", "de-hypromag-pforzheim", "magnet scrap", 0, status="candidate", qm=Q_NEW, source="hypromag_de",
     note="End-of-life magnets from German and European scrap; illustrative, no volume until the plant runs.")
link("de-hypromag-pforzheim", "eu-industrial-rest", "NdFeB magnet", 0, status="candidate", qm=Q_AUTO, source="hypromag_de",
     note="Recycled sintered magnets; illustrative route.")
link("vn-shin-etsu-haiphong", "vn-shin-etsu-recycling", "magnet scrap", 300, source="shinetsu_vn", note="Process scrap; estimated.")
link("vn-shin-etsu-recycling", "vn-metal-makers", "recycled oxide", 250, source="shinetsu_vn")
link("cn-byd", "mx-jl-mag-recycling", "magnet scrap", 0, status="candidate", qm=Q_NEW, source="jlmag_mx")
link("mx-jl-mag-recycling", "cn-jl-mag", "recycled oxide", 0, status="candidate", qm=Q_NEW, source="jlmag_mx")

# --- links of the additional plants
link("tz-ngualla", "cn-separation-rest", "RE concentrate", 0, status="candidate", qm=Q_NEW, source="ngualla",
     note="Binding 7-year offtake of 100% of Ngualla concentrate by Shenghe (CIF Chinese ports); no production yet.")
link("ca-nechalacho", "ca-src-separation", "RE concentrate", 0, status="candidate", qm=Q_NEW, source="ngualla", note="Illustrative Canadian route.")
link("vn-vtre-separation", "kr-ksm-metals", "NdPr oxide", 40, source="ksm", note="KSM sources oxide from a third party in Vietnam; volume estimated.")
link("kr-ksm-metals", "us-noveon-san-marcos", "NdFeB alloy", 50, source="ksm", note="First NdFeB alloy sales contract with Noveon (2024); volume estimated.")
link("kr-ksm-metals", "us-usar-stillwater", "NdFeB alloy", 0, status="candidate", qm=Q_NEW, source="ksm_usar", note="Five-year supply agreement (2023) for Stillwater; no volume until the magnet plant produces.")
link("kr-ksm-metals", "kr-js-link-yesan", "NdFeB alloy", 0, status="candidate", qm=Q_AUTO, source="ksm", note="KSM sells NdPr metal to Korean magnet makers (NS World); illustrative Korean route.")
link("au-asm-dubbo", "kr-ksm-metals", "RE concentrate", 0, status="candidate", qm=Q_NEW, source="ksm", note="ASM's mine-to-metals plan; Dubbo not built.")
link("fr-caremag-lacq", "jp-metal-makers", "Dy oxide", 0, status="candidate", qm=Q_NEW, source="caremag", note="Long-term HRE oxide supply agreement with JOGMEC/Iwatani's JV (Japan France Rare Earths Company).")
link("fr-caremag-lacq", "jp-metal-makers", "Tb oxide", 0, status="candidate", qm=Q_NEW, source="caremag")
link("fr-caremag-lacq", "eu-auto-rest", "NdPr oxide", 0, status="candidate", qm=Q_NEW, source="caremag_stellantis", note="10-year offtake with Stellantis (in the European OEM aggregate).")
link("fr-caremag-lacq", "gb-lcm-ellesmere-port", "NdPr oxide", 0, status="candidate", qm=Q_NEW, source="caremag")
link("fr-caremag-recycling", "fr-caremag-lacq", "recycled oxide", 0, status="in_qualification", qm=12, source="caremag", note="Integrated site under construction.")
link("eu-auto-rest", "fr-caremag-recycling", "magnet scrap", 0, status="candidate", qm=Q_NEW, source="caremag")
link("gl-tanbreez", "fr-caremag-lacq", "RE concentrate", 0, status="candidate", qm=Q_NEW, source="caremag", note="Illustrative: Caremag refines third-party mining concentrate.")
link("no-reetec-heroya", "gb-lcm-ellesmere-port", "NdPr oxide", 0, status="candidate", qm=Q_NEW, source="reetec", note="Planned REEtec -> LCM (metal/alloy) -> VAC chain (Argus).")
link("eu-industrial-rest", "de-heraeus-remloy", "magnet scrap", 300, source="heraeus", note="End-of-life electronics and motors; volume estimated (~half of capacity in ramp-up).")
link("de-heraeus-remloy", "de-vac-hanau", "NdFeB alloy", 0, status="candidate", qm=Q_AUTO, source="heraeus", note="Recycled powder suits bonded/hot-formed magnets; illustrative route to a European magnet maker.")
link("de-heraeus-remloy", "jp-daido-electronics", "NdFeB alloy", 0, status="candidate", qm=Q_AUTO, source="heraeus", note="Hot-formed magnet route; illustrative.")
link("de-heraeus-remloy", "th-neo-magnequench", "NdFeB alloy", 250, source="heraeus", note="Recycled powder to bonded-powder maker; destination and volume estimated (route out of recycler).")

# =============================================================================================
# OWNERS  (owner, parent, stake, country of parent)
# =============================================================================================
def root(name, country, source="company", note=""):
    own(name, name, 1, country, source=source, note=note)

# Chinese state chains
own("China Northern Rare Earth", "Baogang Group", 0.37, "CN", source="nre_owner",
    note="Baotou Steel (Group) is the controlling shareholder; stake approximate (~37%), not verified to the decimal.")
own("Baogang Group", "Inner Mongolia SASAC", 1, "CN", source="nre_owner", note="State-owned (Inner Mongolia regional government).")
root("China Northern Rare Earth", "CN", source="nre_owner",
     note="Listed; Baogang (~37%) is the controlling shareholder but holds no majority, so under tiern's majority rule (>0.5) NRE is its own ultimate owner. It is state-controlled in practice.")
root("China Rare Earth Group", "CN", source="creg_owners",
     note="No single majority holder; SASAC 31.21% plus three state groups at 20.33% each, so CREG is its own ultimate owner under the majority rule. Wholly state-owned.")
root("Inner Mongolia SASAC", "CN")
own("China Rare Earth Group", "SASAC", 0.3121, "CN", source="creg_owners",
    note="SASAC 31.21% direct; Chalco, Minmetals, Ganzhou Rare Earth 20.33% each; CISRI, GRINM 3.9% each; all state-owned.")
own("China Rare Earth Group", "Aluminum Corporation of China", 0.2033, "CN", source="creg_owners")
own("China Rare Earth Group", "China Minmetals", 0.2033, "CN", source="creg_owners")
own("China Rare Earth Group", "Ganzhou Rare Earth Group", 0.2033, "CN", source="creg_owners")
own("Aluminum Corporation of China", "SASAC", 1, "CN", source="creg_owners")
own("China Minmetals", "SASAC", 1, "CN", source="creg_owners")
own("Ganzhou Rare Earth Group", "Ganzhou municipal government", 1, "CN", source="creg_owners")
root("Ganzhou municipal government", "CN")
root("SASAC", "CN", note="State-owned Assets Supervision and Administration Commission of the State Council.")
own("Jiangyin Jiahua Advanced Material Resources (JAMR)", "Shenghe Resources", 0.86, "CN", source="neo_shenghe", year=2025,
    note="86% bought from Neo by a Shenghe affiliate, completed 1 Apr 2025.")
own("Jiangyin Jiahua Advanced Material Resources (JAMR)", "Neo Performance Materials", 0.09, "CA", source="neo_shenghe", year=2025,
    note="Neo's retained minority stake (no control).")
own("Zibo Jiahua Advanced Material Resources (ZAMR)", "Shenghe Resources", 0.88, "CN", source="neo_shenghe", year=2025,
    note="88% bought from Neo by a Shenghe affiliate, completed 1 Apr 2025 (plant closed since Q2 2024).")
root("Shenghe Resources", "CN", note="State-linked (largest shareholder is an institute of the China Geological Survey); listed in Shanghai.")
root("JL MAG Rare-Earth", "CN")
root("Ningbo Yunsheng", "CN")
root("Zhong Ke San Huan", "CN", note="Beijing Zhong Ke San Huan High-Tech; controlled by a Chinese Academy of Sciences-linked holding.")
root("Yantai Zhenghai Magnetic", "CN")
root("BYD", "CN")
root("Geely Holding", "CN")
root("Inovance", "CN")
root("Goldwind", "CN")
root("Baotou INST Magnetic", "CN")
root("Jiangsu separators (various)", "CN", source="est", note="Aggregate of private Jiangsu separators.")
root("China separation, rest of industry (aggregate)", "CN", source="est")
root("China metal, rest of industry (aggregate)", "CN", source="est")
root("China magnets, rest of industry (aggregate)", "CN", source="est")
root("China motors, rest of industry (aggregate)", "CN", source="est")
root("China OEMs, rest (aggregate)", "CN", source="est")
# Chinese stakes and operators outside China
own("Kachin ionic-clay operators (Chinese-run)", "Chinese private mining operators", 1, "CN", source="kachin",
    note="Pangwa/Chipwi mines are run mostly by Chinese operators; area controlled by the KIA since Oct 2024 (Irrawaddy).")
root("Chinese private mining operators", "CN", source="kachin")
own("Lao ionic-clay operators (Chinese-owned)", "Chijin Xiawu", 0.9, "CN", source="laos_chijin",
    note="Chijin Xiawu acquired 90% of a Lao rare earth miner (2023); Xiamen Tungsten also active (rawmaterials.net).")
root("Chijin Xiawu", "CN", source="laos_chijin")
own("Vietnam Rare Earth JSC", "Shenghe Resources", 0.9, "CN", source="vtre", note="Project Blue reports a 90% Shenghe stake; unverified: a 2023 newsletter (vtre_ownership) calls VTRE's ownership ambiguous and traces Shenghe's Vietnamese holding to Integral Materials Investment Vietnam JSC.")
root("Vietnam rare earth metal makers (aggregate)", "VN", source="sdk_vn", note="Aggregate owner: Japanese-invested (e.g. Showa Denko Rare-Earth Vietnam, 90% SDK at founding) and Chinese-invested metal makers; no single controller.")
own("MP Materials", "Shenghe Resources", 0.031, "CN", source="mp_owners_2025", year=2025,
    note="Shenghe cut its stake to 3.1% (Schedule 13G/A, December 2025; was ~8% since 2020); minority, MP control stays in the US.")
own("MP Materials", "US Department of Defense", 0.15, "US", source="mp_dod", year=2025,
    note="Preferred equity and warrants from the July 2025 DoD agreement (US$400M), effective ~15% (confirmed December 2025: mp_owners_2025); minority, no control.")
root("MP Materials", "US")
root("US Department of Defense", "US")
root("Energy Transition Minerals", "AU", source="kvanefjeld", note="Shenghe Resources is reported as a major shareholder; the percentage is not verified, so no stake row is given.")
own("TDK", "TDK", 1, "JP")
own("Guangdong TDK Rising (JV)", "TDK", 0.59, "JP", source="tdk_cn", note="TDK 59%, Guangdong Rising Nonferrous 37%, Tokai Trade 4%.")
own("Proterial San Huan Magnetic Materials (Nantong) (JV)", "Proterial", 0.51, "JP", source="proterial_nantong", year=2015,
    note="Founded June 2015 as Hitachi Metals San Huan Magnetic Materials (Nantong); Hitachi Metals is now Proterial. Stake as at founding; no later change found.")
own("Proterial San Huan Magnetic Materials (Nantong) (JV)", "Zhong Ke San Huan", 0.49, "CN", source="proterial_nantong", year=2015,
    note="Minority partner since founding (2015); no later change found.")
# others
root("Lynas Rare Earths", "AU")
own("Peak Rare Earths", "Shenghe Resources", 0.199, "CN", source="ngualla",
    note="19.9% since 2022 (largest shareholder). Shenghe's subsidiary Ganzhou Chenguang agreed in May 2025 to acquire 100% (A$158M); completion not verified here, so the verified minority stake is used.")
root("Peak Rare Earths", "AU", source="ngualla")
own("Vital Metals", "Shenghe Resources", 0.182, "CN", source="ngualla", note="18.2% stake (2024).")
root("Vital Metals", "AU", source="ngualla")
root("Hastings Technology Metals", "AU", source="hastings")
root("REEtec", "NO", source="reetec", note="LKAB (Sweden) became the largest shareholder (NOK 400M, 2022); stake not verified, so no parent row.")
root("Carester", "FR", source="caremag", note="Caremag is a Carester subsidiary; JOGMEC/Iwatani JV invests up to EUR110M in equity and shareholder loans (stake not published).")
root("Australian Strategic Materials", "AU", source="ksm", note="KSM Metals is a wholly owned subsidiary.")
root("Heraeus", "DE", source="heraeus")
root("Iluka Resources", "AU")
root("Northern Minerals", "AU", source="browns_range")
root("Arafura Rare Earths", "AU")
root("Critical Metals Corp", "US")
root("Pensana", "GB")
root("Industrias Nucleares do Brasil", "BR", source="src_feed", note="State-owned (Brazil).")
root("Serra Verde", "GB", note="Owned by funds (Denham Capital, EMG, Vision Blue); US DFC loan with equity option. Country of the main funds approximated as GB.")
root("Aclara Resources", "CA")
root("Torngat Metals", "CA")
root("Rainbow Rare Earths", "GB")
root("IREL (India) Limited", "IN", note="State-owned (Department of Atomic Energy).")
root("Solikamsk Magnesium Works", "RU")
for _n, _c in [("Thailand producers (aggregate)", "TH"), ("Madagascar producers (aggregate)", "MG"), ("Nigeria producers (aggregate)", "NG"),
               ("Vietnam producers (aggregate)", "VN"), ("Malaysia producers (aggregate)", "MY"), ("US other producers (aggregate)", "US")]:
    root(_n, _c, source="est", note="Aggregate owner for a country's residual mine output.")
root("Energy Fuels", "US")
root("Neo Performance Materials", "CA")
root("Solvay", "BE")
root("Saskatchewan Research Council", "CA", note="Provincial Crown corporation.")
root("Canada Rare Earth Corp", "CA")
root("Ucore Rare Metals", "CA")
root("ReElement Technologies", "US")
root("Japan magnet materials industry (aggregate)", "JP", source="est")
root("USA Rare Earth", "US")
own("USA Rare Earth", "US Department of Commerce", 0.10, "US", source="usar_commerce", year=2026,
    note="CHIPS Program letter of intent, 26 Jan 2026 (non-binding): 16.1M shares plus ~17.6M warrants, about 8-16% fully diluted; ~10% used. Minority, no control.")
root("US Department of Commerce", "US")
root("VAC Group", "DE")
root("Noveon Magnetics", "US")
root("Vulcan Elements", "US")
root("JS Link", "KR")
root("Shin-Etsu Chemical", "JP")
own("Proterial", "Bain Capital-led consortium (K.K. BCJ-52)", 1.0, "US", source="proterial_bain", year=2023,
    note="Hitachi Metals was taken private by the consortium's vehicle K.K. BCJ-52 (tender offer closed October 2022; Hitachi sold its 53.4% and kept no stake), "
         "delisted and renamed Proterial in January 2023.")
root("Bain Capital-led consortium (K.K. BCJ-52)", "US", source="proterial_bain",
     note="Bain Capital (US private equity) leads; Japan Industrial Partners and Japan Industrial Solutions (JP) are co-investors. The split among them "
          "is not published, so the consortium is one owner with Bain's country (US); Bain said in 2024 it expects to re-list Proterial.")
root("Daido Steel", "JP")
root("Star Group Industrial", "KR")
root("US defense magnet makers (aggregate)", "US", source="est")
own("HyProMag", "Maginito", 1.0, "GB", source="maginito", year=2024, note="HyProMag Ltd is wholly owned by Maginito Ltd (UK) since August 2023.")
own("HyProMag GmbH", "Maginito", 0.90, "GB", source="maginito", year=2024,
    note="Direct and indirect, assuming conversion of Maginito's convertible loan; Prof. Carlo Burkhardt (Pforzheim University) held 20% at the company's founding.")
own("Maginito", "Mkango Resources", 0.794, "CA", source="maginito", year=2024, note="Mkango Resources (TSX-V/AIM, British Columbia) controls Maginito.")
own("Maginito", "CoTec Holdings", 0.206, "CA", source="maginito", year=2024, note="Minority; CoTec converted a GBP2M loan note into Maginito shares in October 2023.")
root("Mkango Resources", "CA", source="maginito")
root("CoTec Holdings", "CA", source="maginito")
root("Cyclic Materials", "CA")
own("HyProMag USA", "Maginito", 0.5, "GB", source="maginito", year=2024, note="50/50 joint venture formed January 2024; neither partner has control.")
own("HyProMag USA", "CoTec Holdings", 0.5, "CA", source="maginito", year=2024, note="50/50 joint venture formed January 2024; neither partner has control.")
root("HyProMag USA", "US", source="maginito", note="A 50/50 joint venture of Maginito (Mkango) and CoTec: no majority owner, so its own ultimate owner.")
root("Ionic Rare Earths", "AU", source="ionic_belfast", note="Owns Ionic Technologies (Belfast) since 2022.")
own("Maaden MP rare earth JV", "Maaden", 0.51, "SA", source="mp_maaden", note="Maaden no less than 51%; MP Materials and the US Department of War 49% through their own joint venture (no row: split not published).")
root("Maaden", "SA", source="mp_maaden", note="Saudi Arabian Mining Company, majority-owned by the Public Investment Fund (state).")
root("Xiamen Tungsten", "CN", source="xtc_baotou", note="State-owned (Fujian); listed in Shanghai.")
root("Niron Magnetics", "US", source="niron")
root("Nidec", "JP")
root("BorgWarner", "US")
own("Robert Bosch", "Robert Bosch Industrietreuhand KG", 0.93, "DE", source="bosch_owner",
    note="Stake is the share of voting rights; the Robert Bosch Stiftung holds ~92% of the capital without voting rights, the Bosch family the rest.")
root("Robert Bosch Industrietreuhand KG", "DE", source="bosch_owner", note="Trust partnership of current and former managers, Bosch family representatives and business figures.")
own("ZF Friedrichshafen", "Zeppelin Foundation", 0.938, "DE", source="zf_owner",
    note="Zeppelin-Stiftung, a municipal foundation administered by the City of Friedrichshafen; the other 6.2% is held by the Dr. Juergen und Irmgard Ulderup Foundation.")
root("Zeppelin Foundation", "DE", source="zf_owner", note="Administered by the City of Friedrichshafen since 1947 (municipal foundation).")
root("Toyota Motor", "JP")
root("Denso and Aisin (Toyota group)", "JP", source="denso_toyota",
     note="Two listed Toyota-group suppliers standing together for the hybrid motor stage; Toyota holds minorities in both, so neither is controlled by Toyota.")
own("Denso and Aisin (Toyota group)", "Toyota Motor", 0.20, "JP", source="denso_toyota", year=2023,
    note="Toyota Motor holds 20.0% of Denso after its November 2023 sale (was 24.2%); its Aisin stake, also a minority, is not re-verified here. Minority, no control.")
root("Tesla", "US")
root("Siemens", "DE")
root("ABB", "CH")
root("Yaskawa Electric", "JP")
root("Hyundai Motor Group", "KR")
root("General Motors", "US")
own("Volkswagen", "Porsche Automobil Holding SE", 0.533, "DE", source="vw_porsche", year=2022,
    note="Stake is the share of voting rights (ordinary shares), which decides control; Porsche SE holds 31.9% of the subscribed capital.")
root("Porsche Automobil Holding SE", "DE", source="vw_porsche", note="Controlled by the Porsche and Piech families through its voting ordinary shares.")
root("Ford Motor", "US")
root("BMW", "DE")
root("European OEMs, rest (aggregate)", "DE", source="est")
root("Japanese OEMs, rest (aggregate)", "JP", source="est")
own("Siemens Energy", "Siemens", 0.17, "DE", note="Siemens AG holds a minority (~17%); Siemens Energy is independently listed.")
root("Siemens Energy", "DE")
root("Vestas", "DK")
root("GE Vernova", "US")
root("Lockheed Martin", "US")
root("RTX", "US")
root("Northrop Grumman", "US")
root("BAE Systems", "GB")
root("Apple", "US")
root("Samsung Electronics", "KR")
# Owners of facilities that appear above but had no row yet are added by the check below.

# OEM sinks: capacity (= magnet consumption) is set to the sum of their estimated inbound volumes,
# which were sized from the unit x intensity estimates given in each note.
_inb = {}
for _l in LINKS:
    _inb[_l["customer"]] = _inb.get(_l["customer"], 0) + float(_l["volume"])
for _f in FAC:
    if _f["stage"] == "oem" and _inb.get(_f["id"], 0) > 0:
        _f["capacity"] = int(round(_inb[_f["id"]]))
        _f["capacity_published"] = ""
        _f["unit_published"] = "not published (estimate)"

# =============================================================================================
# DEMAND (optional): sinks' demand = their magnet consumption estimate
# =============================================================================================
for f in FAC:
    if f["stage"] == "oem" and f["capacity"]:
        DEMAND.append(dict(facility=f["id"], demand=f["capacity"], unit="t magnet/yr", source=f["source"], year=f["year"],
                           basis="estimated", note="Equal to the OEM's estimated magnet consumption."))

# =============================================================================================
# REFERENCE: published stage shares used by the reconciliation test
# =============================================================================================
REF = []
usgs_2025 = {"CN": 270000, "US": 51000, "AU": 29000, "MM": 22000, "TH": 4800, "IN": 2900, "MG": 2700, "RU": 2600,
             "BR": 2000, "NG": 1500, "VN": 150, "MY": 110}
for cc, v in usgs_2025.items():
    REF.append(dict(stage="mine", country=cc, share=round(v / 390000, 4), year=2025, measure="capacity", material="",
                    tolerance=0.01 if v > 10000 else 0.005, source=S["usgs"],
                    note=f"{v} t REO of world 390,000 t (rounded world total)."))
REF.append(dict(stage="separator", country="CN", share=0.91, year=2024, measure="flow", material="NdPr oxide;Dy oxide;Tb oxide",
                tolerance=0.03, source=S["iea_2025"],
                note="IEA refining share (magnet REE basis) 91% in 2024 (92% in 2023, GCMO 2024): a share of refined production (output), not of capacity. Compared with the share of separated magnet-REE oxide flows by supplier country; tests/test_data_checks.py also holds the separator capacity, effective output of all REEs, within 5 points of it."))
REF.append(dict(stage="separator", country="CN", share=0.92, year=2023, measure="flow", material="NdPr oxide;Dy oxide;Tb oxide",
                tolerance=0.03, source=S["iea_2024"], note="IEA GCMO 2024: China 92% of refining in 2023 (magnet REE basis); China, Malaysia and Australia together 98%."))
REF.append(dict(stage="separator", country="MY", share=0.05, year=2023, measure="flow", material="NdPr oxide;Dy oxide;Tb oxide",
                tolerance=0.03, source=S["iea_2024"], note="IEA GCMO 2024: Malaysia ~5% of refining (2023)."))
REF.append(dict(stage="separator", country="CN", share=0.99, year=2025, measure="flow", material="Dy oxide;Tb oxide",
                tolerance=0.015, source=S["usgs_heavy"] + " ; ~99% is a secondary figure (no primary found); Lynas is the only ex-China commercial producer since May 2025",
                note="Heavy REE separation (Dy, Tb oxide)."))
REF.append(dict(stage="metal", country="CN", share=0.92, year=2022, measure="capacity", material="",
                tolerance=0.05, source=S["mp_metal_share"], note="~92% of metals/alloys/magnet conversion (MP Materials, secondary); Japan ~6%. Wide tolerance: secondary, older, mixed basis."))
REF.append(dict(stage="magnet", country="CN", share=0.92, year=2020, measure="capacity", material="",
                tolerance=0.03, source=S["s232"], note="US Commerce Section 232 report (2022, 2020 data): ~92% of the global NdFeB magnet and magnet-alloy market."))
REF.append(dict(stage="magnet", country="CN", share=0.94, year=2024, measure="capacity", material="",
                tolerance=0.03, source=S["iea_magnets"], note="Sintered NdFeB ~94% China (IEA Oct 2025 via REEx, secondary). Section 232 (2020): ~92% (Mayer Brown)."))


# =============================================================================================
# REFERENCE: the published inputs behind the estimates (one row per figure), and the USGS table
# =============================================================================================
USGS_NAMES = {"CN": "China", "US": "United States", "AU": "Australia", "MM": "Burma", "TH": "Thailand", "IN": "India",
              "MG": "Madagascar", "RU": "Russia", "BR": "Brazil", "NG": "Nigeria", "VN": "Vietnam", "MY": "Malaysia"}
USGS_ROWS = [dict(country=cc, usgs_country=USGS_NAMES[cc], year=2025, mine_production_t_reo=v,
                  share_of_world=round(v / 390000, 4), source=S["usgs"],
                  note="USGS value is an estimate; Burma, Thailand, Madagascar, Malaysia, Vietnam from Chinese import data" if cc in ("MM", "TH", "MG", "MY", "VN") else "")
             for cc, v in usgs_2025.items()]
USGS_ROWS += [dict(country="", usgs_country="Other countries", year=2025, mine_production_t_reo=550, share_of_world=round(550 / 390000, 4),
                   source=S["usgs"], note="Attributed to Laos in facilities.csv (USGS does not list Laos)."),
              dict(country="", usgs_country="World total (rounded)", year=2025, mine_production_t_reo=390000, share_of_world=1,
                   source=S["usgs"], note="Listed countries sum to 389,310 t.")]

INPUTS = [
    ("china_mining_quota_2024", 270000, "t REO", 2024, "usgs", "USGS repeats 270,000 t for 2025 (quota not published)."),
    ("china_mining_quota_h1_2024_nre", 94580, "t REO", 2024, "quota_h1_2024", "China Northern Rare Earth, first batch 2024."),
    ("china_ionic_quota_2024", 19150, "t REO", 2024, "creg_quota", "Medium-heavy (ionic) mining quota, all CREG."),
    ("china_separation_quota_2024", 254000, "t REO", 2024, "sep_quota", "Smelting/separation quota (secondary source)."),
    ("china_prnd_oxide_june_2024", 7325, "t/month", 2024, "smm_june", "x12 = ~88,000 t/yr used for Chinese NdPr oxide flows."),
    ("china_prnd_alloy_june_2024", 5994, "t/month", 2024, "smm_june", "x12 = ~72,000 t/yr; was used for Chinese metal capacity, superseded by china_prnd_metal_2024."),
    ("china_prnd_metal_2024", 88000, "t", 2024, "argus_prnd_2024", "Chinese metal capacity (effective); consumption ~80,000 t (the metal links carry ~79,850 t); oxide output ~106,000 t."),
    ("china_recycled_prnd_oxide_2024", 26504, "t", 2024, "argus_recycled_2024", "Of 34,147 t REO from NdFeB scrap; 13,300 t modelled as recycled oxide."),
    ("nremm_alloy_output_aug_2024", 6000, "t/month", 2024, "nremm_2024", "x12 = cn-nre-alloy effective capacity (record 4,000 t in April 2024)."),
    ("china_dy_oxide_june_2024", 214, "t/month", 2024, "smm_june", "x12 = ~2,570 t/yr Dy oxide flows."),
    ("china_tb_oxide_june_2024", 40.8, "t/month", 2024, "smm_june", "x12 = ~490 t/yr Tb oxide flows."),
    ("china_ndfeb_output_2024", 300000, "t", 2024, "argus_ndfeb", "Acrei via Argus; SMM expected ~260,000 t (smm_magnets)."),
    ("exchina_ndfeb_capacity_2025", 23750, "t/yr", 2025, "pb_exchina", "Project Blue; mostly Japan."),
    ("lynas_ndpr_fy25", 6558, "t NdPr oxide", 2025, "lynas_fy25", "Financial year to June 2025."),
    ("lynas_reo_sep_quarter_2025", 3993, "t REO", 2025, "lynas_q1fy26", "With 2,003 t NdPr; x4 = effective REO capacity."),
    ("lynas_hre_feed_capacity", 1500, "t/yr SEGH", 2025, "lynas_hre", "Dy ~5%, Tb ~1% yields (lynas_hre2)."),
    ("mp_reo_in_concentrate_2025", 50692, "t REO", 2025, "mp_fy25", ""),
    ("mp_ndpr_oxide_2025", 2599, "t NdPr oxide", 2025, "mp_fy25", "Exit run-rate ~4,000 t/yr (mp_q4)."),
    ("noveon_nidec_contract", 1000, "t magnets over 5 years", 2025, "noveon_nidec", "= 200 t/yr."),
    ("nolans_hyundai_offtake", 1500, "t/yr NdPr oxide or metal", 2022, "nolans_hyundai", "7-year binding offtake, subject to production."),
    ("ev_magnet_intensity", 1.5, "kg NdFeB per BEV/PHEV", 2025, "ev_kg", "1-2 kg per drive motor; ~1.2 kg per 100 kW."),
    ("wind_magnet_intensity", 0.5, "t NdFeB per MW (PM turbines)", 2023, "wind_tmw", "0.625-0.85 t/MW for low-speed direct drive."),
    ("f35_magnet_content", "31-43", "kg magnet alloy per aircraft", 2026, "f35", "~23 kg SmCo + 8-20 kg NdFeB alloy."),
    ("acrei_nev_magnet_demand_2024", 43018, "t", 2024, "acrei_demand", "35% of the demand Acrei tracks."),
    ("acrei_vfac_magnet_demand_2024", 30154, "t", 2024, "acrei_demand", "Inverter air conditioners."),
    ("ndpr_share_of_magnet", 0.33, "mass fraction", 2021, "mp_2021", "About one-third of a magnet is NdPr."),
    ("jlmag_blanks_2024", 29300, "t", 2024, "jlmag", "~20,900 t finished: yield ~0.71."),
    ("jlmag_blank_capacity_2024", 38000, "t/yr blanks", 2024, "jlmag_2024", "End-2024; 40,000 t planned for 2025. x0.71 = facility capacity in finished magnets."),
    ("china_sintered_ndfeb_output_aug_2025", CN_MAG_BLANK_OUTPUT_AUG_2025, "t/month", 2025, "smm_ndfeb_2025",
     "SMM survey; read as blanks. / operating rate x12 = China's blank capacity."),
    ("china_sintered_ndfeb_operating_rate_aug_2025", CN_MAG_OPERATING_RATE_AUG_2025, "fraction", 2025, "smm_ndfeb_2025",
     "National average; top-tier makers 67.34%."),
    ("qualification_existing_grade", "4-7", "months", 2025, "qual_auto", "Automotive; >12 months observed for MP (new plant)."),
]
INPUT_ROWS = [dict(key=k, value=v, unit=u, year=y, source=S[src], note=n) for k, v, u, y, src, n in INPUTS]

# =============================================================================================
# write
# =============================================================================================
def write(path, rows, cols):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in cols})


def main():
    # every facility owner must have an owners row
    owners = {o["owner"] for o in OWN}
    missing = sorted({f["owner"] for f in FAC} - owners)
    if missing:
        raise SystemExit(f"owners missing from owners table: {missing}")
    # every owner must resolve (majority stakes > 0.5 upward) to an owner with a country
    majority, country = {}, {}
    for o in OWN:
        if o["parent"] == o["owner"]:
            country.setdefault(o["owner"], o["country"])
        else:
            country.setdefault(o["parent"], o["country"])
            if float(o["stake"]) > 0.5:
                majority[o["owner"]] = o["parent"]
    for name in {f["owner"] for f in FAC}:
        top = name
        while top in majority:
            top = majority[top]
        if top not in country:
            raise SystemExit(f"owner {name!r} resolves to {top!r}, which has no country")
    fcols = ["id", "name", "stage", "country", "owner", "capacity", "unit", "status", "certifications", "inventory_days",
             "sector", "lat", "lon", "source", "year", "aggregate", "basis", "capacity_published", "unit_published", "inventory_basis", "certifications_basis", "note"]
    lcols = ["supplier", "customer", "material", "volume", "status", "qualification_months", "source", "year", "basis", "note"]
    ocols = ["owner", "parent", "stake", "country", "source", "year", "note"]
    dcols = ["facility", "demand", "unit", "source", "year", "basis", "note"]
    rcols = ["stage", "country", "share", "year", "measure", "material", "tolerance", "source", "note"]
    write(os.path.join(HERE, "facilities.csv"), FAC, fcols)
    write(os.path.join(HERE, "links.csv"), LINKS, lcols)
    write(os.path.join(HERE, "owners.csv"), OWN, ocols)
    write(os.path.join(HERE, "demand.csv"), DEMAND, dcols)
    os.makedirs(os.path.join(HERE, "reference"), exist_ok=True)
    write(os.path.join(HERE, "reference", "stage_shares.csv"), REF, rcols)
    write(os.path.join(HERE, "reference", "usgs_mcs2026_mine_production.csv"), USGS_ROWS,
          ["country", "usgs_country", "year", "mine_production_t_reo", "share_of_world", "source", "note"])
    write(os.path.join(HERE, "reference", "inputs.csv"), INPUT_ROWS, ["key", "value", "unit", "year", "source", "note"])
    print(f"{len(FAC)} facilities, {len(LINKS)} links, {len(OWN)} owner rows, {len(DEMAND)} demand rows, {len(REF)} reference rows")


if __name__ == "__main__":
    main()
