/**
 * Number ranges faxgate never dials unless the admin names them in FAXGATE_DIAL_COSTLY_ALLOW:
 * a fax gateway spends money on every call, and these are where toll fraud sends the calls
 * (international revenue share fraud, IRSF: the fraudster is paid a share of the termination
 * rate). docs/security.md lists the same table for operators; keep the two in step.
 *
 * `prefix` matches the start of the E.164 number. `country` (ISO 3166 alpha-2) is set for
 * ranges inside one country, so a gateway whose lines are in that country still dials its own
 * national numbers.
 */
export interface CostlyRange {
  prefix: string;
  name: string;
  country?: string;
  why: string;
}

const GLOBAL = 'ITU-T E.164 global service code (no country): billed at satellite or special rates, a favourite IRSF target';
const IRSF = 'listed year after year among the top destinations of international revenue share fraud (CFCA fraud surveys, carriers\' high-risk lists)';
const SMALL = 'small island network with very high termination rates, routinely offered as "test numbers" by IRSF sellers';
const ONE_RING = 'NANP area code outside the US and Canada named in the FCC\'s "one ring" scam alert: dialled like a domestic number, billed as international';

export const COSTLY_RANGES: readonly CostlyRange[] = [
  // ITU-T E.164 global services (the ITU's list of assigned codes, "Networks" and "Global
  // services"): none of them is a place, all are billed at special rates.
  { prefix: '+870', name: 'Inmarsat SNAC (satellite)', why: `${GLOBAL}; typically several dollars a minute` },
  { prefix: '+875', name: 'Maritime mobile service (reserved)', why: 'ITU-T E.164 code reserved for maritime mobile service: not a fax destination' },
  { prefix: '+876', name: 'Maritime mobile service (reserved)', why: 'ITU-T E.164 code reserved for maritime mobile service: not a fax destination' },
  { prefix: '+877', name: 'Maritime mobile service (reserved)', why: 'ITU-T E.164 code reserved for maritime mobile service: not a fax destination' },
  { prefix: '+878', name: 'Universal Personal Telecommunications', why: GLOBAL },
  { prefix: '+881', name: 'Global Mobile Satellite System (Iridium, Globalstar, Thuraya...)', why: `${GLOBAL}; among the costliest numbers that can be dialled` },
  { prefix: '+882', name: 'International Networks (shared code)', why: `${GLOBAL}; ranges assigned to carriers, many resold as premium-rate numbers` },
  { prefix: '+883', name: 'International Networks (shared code)', why: `${GLOBAL}; ranges assigned to carriers, many resold as premium-rate numbers` },
  { prefix: '+888', name: 'OCHA telecommunications for disaster relief', why: 'ITU-T E.164 code for the UN\'s disaster relief: never a fax recipient of a business gateway' },
  { prefix: '+979', name: 'International Premium Rate Service', why: 'ITU-T E.164 international premium rate: the caller pays a surcharge by design' },
  { prefix: '+991', name: 'ITPCS trial', why: 'ITU-T E.164 code of a trial service: no legitimate fax traffic' },
  { prefix: '+808', name: 'International Shared Cost Service', why: 'ITU-T E.164 shared-cost service: the caller pays part of the call at a special rate' },
  // Countries and ranges named by fraud reports as IRSF destinations.
  { prefix: '+53', name: 'Cuba', country: 'CU', why: `${IRSF}; among the highest termination rates` },
  { prefix: '+252', name: 'Somalia', country: 'SO', why: IRSF },
  { prefix: '+675', name: 'Papua New Guinea', country: 'PG', why: IRSF },
  { prefix: '+371', name: 'Latvia', country: 'LV', why: `${IRSF}; Latvian mobile and non-geographic ranges are resold as international premium-rate numbers` },
  { prefix: '+224', name: 'Guinea', country: 'GN', why: IRSF },
  { prefix: '+232', name: 'Sierra Leone', country: 'SL', why: IRSF },
  { prefix: '+239', name: 'São Tomé and Príncipe', country: 'ST', why: SMALL },
  { prefix: '+245', name: 'Guinea-Bissau', country: 'GW', why: IRSF },
  { prefix: '+246', name: 'Diego Garcia', country: 'IO', why: SMALL },
  { prefix: '+247', name: 'Ascension Island', country: 'AC', why: SMALL },
  { prefix: '+290', name: 'Saint Helena, Tristan da Cunha', country: 'SH', why: SMALL },
  { prefix: '+500', name: 'Falkland Islands', country: 'FK', why: SMALL },
  { prefix: '+672', name: 'Australian External Territories, Antarctica', country: 'NF', why: SMALL },
  { prefix: '+674', name: 'Nauru', country: 'NR', why: SMALL },
  { prefix: '+677', name: 'Solomon Islands', country: 'SB', why: SMALL },
  { prefix: '+678', name: 'Vanuatu', country: 'VU', why: SMALL },
  { prefix: '+682', name: 'Cook Islands', country: 'CK', why: SMALL },
  { prefix: '+683', name: 'Niue', country: 'NU', why: SMALL },
  { prefix: '+686', name: 'Kiribati', country: 'KI', why: SMALL },
  { prefix: '+688', name: 'Tuvalu', country: 'TV', why: SMALL },
  { prefix: '+690', name: 'Tokelau', country: 'TK', why: SMALL },
  // NANP numbers that look domestic from the US and Canada (FCC consumer guide "'One Ring'
  // Phone Scam"): 268, 284, 473, 649, 664, 767, 809, 829, 849, 876.
  { prefix: '+1268', name: 'Antigua and Barbuda', country: 'AG', why: ONE_RING },
  { prefix: '+1284', name: 'British Virgin Islands', country: 'VG', why: ONE_RING },
  { prefix: '+1473', name: 'Grenada', country: 'GD', why: ONE_RING },
  { prefix: '+1649', name: 'Turks and Caicos Islands', country: 'TC', why: ONE_RING },
  { prefix: '+1664', name: 'Montserrat', country: 'MS', why: ONE_RING },
  { prefix: '+1767', name: 'Dominica', country: 'DM', why: ONE_RING },
  { prefix: '+1809', name: 'Dominican Republic', country: 'DO', why: ONE_RING },
  { prefix: '+1829', name: 'Dominican Republic', country: 'DO', why: ONE_RING },
  { prefix: '+1849', name: 'Dominican Republic', country: 'DO', why: ONE_RING },
  { prefix: '+1876', name: 'Jamaica', country: 'JM', why: ONE_RING },
];

/** The built-in entry an E.164 number falls in, if any. */
export function costlyRangeOf(e164: string): CostlyRange | undefined {
  return COSTLY_RANGES.find((r) => e164.startsWith(r.prefix));
}
