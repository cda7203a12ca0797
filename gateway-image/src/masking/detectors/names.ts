/**
 * Person names from the shipped name list (name-list.ts). A capitalised word is a name part only
 * in one of three shapes, because a lone capitalised word is far more often a product, a class or
 * the start of a sentence:
 *   Given Family          Maria Garcia (both words on the lists)
 *   Family, Given         Garcia, Maria
 *   Title Word [Word]     Dr. Okafor, Mrs. Lee, Patient Maria Garcia (a title makes any name)
 */
import { FAMILY_NAMES, GIVEN_NAMES } from './name-list';
import { type Detection, type Detector, Needs } from './types';

const WORD = "[A-Z][a-z]+(?:['-][A-Z]?[a-z]+)?";
const PAIR = new RegExp(`(?<![\\w-])(${WORD})(,?)\\s+(${WORD})(?![\\w-])`, 'g');
const TITLED = new RegExp(
  `(?<![\\w-])(?:Mr|Mrs|Ms|Mx|Miss|Dr|Pt|Patient)\\.?\\s+(${WORD}(?:,?\\s+${WORD})?)(?![\\w-])`,
  'g',
);

const MAYBE = new RegExp(`${WORD}[,.]?\\s+[A-Z]`);

/** Accents and apostrophes removed, first letter kept upper-case: how the lists spell names. */
function listForm(word: string): string {
  const plain = word.normalize('NFD').replace(/[^A-Za-z]/g, '');
  return plain.charAt(0).toUpperCase() + plain.slice(1).toLowerCase();
}

export const nameDetector: Detector = {
  entity: 'NAME',
  // Every shape is a capitalised word, whitespace, then a capital.
  needs: Needs.upper | Needs.space,
  *find(text) {
    // Both shapes need a capitalised word, whitespace, then a capital: most values have none.
    if (!MAYBE.test(text)) return;
    for (const m of text.matchAll(new RegExp(TITLED.source, 'g'))) {
      const value = m[1]!;
      const start = m.index + m[0].lastIndexOf(value);
      const words = value.split(/,?\s+/);
      // "Patient Portal": after a title the first word must look like a name, not a common noun.
      if (
        m[0].startsWith('P') &&
        !words.some((w) => GIVEN_NAMES.has(listForm(w)) || FAMILY_NAMES.has(listForm(w)))
      ) {
        continue;
      }
      yield span(start, start + value.length);
    }
    // Overlapping pairs ("Maria Garcia Lopez") are found by restarting one word later.
    const re = new RegExp(PAIR.source, 'g');
    let m: RegExpExecArray | null = re.exec(text);
    while (m !== null) {
      const [, a, comma, b] = m;
      const first = listForm(a!);
      const second = listForm(b!);
      const hit = comma
        ? FAMILY_NAMES.has(first) && GIVEN_NAMES.has(second)
        : GIVEN_NAMES.has(first) && FAMILY_NAMES.has(second);
      if (hit) yield span(m.index, m.index + m[0].length);
      re.lastIndex = m.index + a!.length + 1;
      m = re.exec(text);
    }
  },
};

function span(start: number, end: number): Detection {
  return { entity: 'NAME', start, end };
}
