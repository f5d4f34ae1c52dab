#!/usr/bin/env bash
# Generates the hall board's voice clips (static/audio/) from text, reproducibly:
#   Ukrainian speech by espeak-ng (-v uk), resampled by sox to 16 kHz mono Ogg Vorbis (WAV when this
#   sox cannot write Vorbis), leading/trailing silence trimmed, plus a two-tone chime.
# Needs Debian's packages:  apt-get install -y espeak-ng sox libsox-fmt-all
# Usage: tools/make_audio_clips.sh [OUT_DIR]        (default: static/audio next to this script)
# board.js composes announcements from these names ("Талон Пе сто двадцять три, вікно три"), so keep
# the names in step with static/display/board.js (LETTER_CLIPS and numberClips()).
set -euo pipefail
export LC_ALL=C.UTF-8

here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../static/audio}"
mkdir -p "$out"
command -v espeak-ng >/dev/null || { echo "espeak-ng missing: apt-get install -y espeak-ng" >&2; exit 1; }
command -v sox >/dev/null || { echo "sox missing: apt-get install -y sox libsox-fmt-all" >&2; exit 1; }

if sox -h 2>/dev/null | grep -q ' vorbis'; then ext=ogg; enc=(-C 1); else ext=wav; enc=(-b 16); fi
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT

# -R: sox's "repeatable" mode, so the Ogg stream serial numbers (and so the bytes) are the same every run.
SOX=(sox -R -V1)
SPEED=150     # words per minute: slower than the default 175, for a hall with echo
PITCH=45

say() {   # say NAME "text"
  local name=$1 text=$2
  espeak-ng -v uk -s "$SPEED" -p "$PITCH" -w "$tmp/$name.wav" -- "$text"
  # trim silence at both ends, leave 60 ms of air, normalise to -1 dBFS, 16 kHz mono
  "${SOX[@]}" "$tmp/$name.wav" -r 16000 -c 1 "${enc[@]}" "$out/$name.$ext" \
    silence 1 0.02 -45d reverse silence 1 0.02 -45d reverse pad 0.03 0.06 norm -1
}

rm -f "$out"/*.ogg "$out"/*.wav

# espeak-ng's Ukrainian dictionary stresses a few of our words wrongly; those are given as phonemes
# in [[…]] (espeak-ng's own notation, ' before the stressed vowel): тало́н, вікно́, оди́н, со́рок,
# дев'яно́сто, вісімдеся́т.
say word-talon "[[tAl'on]]"
say word-vikno "[[vikn'o]]"

# Ticket letters, spoken as letter names; file names by transliteration.
say letter-z "зе"
say letter-d "де"
say letter-p "пе"
say letter-v "ве"
say letter-n "ен"
say letter-b "бе"
say letter-a "а"
say letter-k "ка"
say letter-r "ер"

ones=("[[Vd'in]]" два три чотири "п'ять" шість сім вісім "дев'ять" десять одинадцять дванадцять тринадцять
      чотирнадцять "п'ятнадцять" шістнадцять сімнадцять вісімнадцять "дев'ятнадцять")
for i in "${!ones[@]}"; do say "num-$((i + 1))" "${ones[$i]}"; done
tens=(двадцять тридцять "[[s'orVk]]" "п'ятдесят" шістдесят сімдесят "[[visimdis'jat]]" "[[divjan'ostV]]")
for i in "${!tens[@]}"; do say "num-$(((i + 2) * 10))" "${tens[$i]}"; done
hundreds=(сто двісті триста чотириста "п'ятсот" шістсот сімсот вісімсот "дев'ятсот")
for i in "${!hundreds[@]}"; do say "num-$(((i + 1) * 100))" "${hundreds[$i]}"; done

# The chime: two soft sine tones, G5 then E5 (a classic "ding-dong").
"${SOX[@]}" -n -r 16000 -c 1 "$tmp/ding.wav" synth 0.45 sine 784 fade q 0.01 0.45 0.3 vol 0.6
"${SOX[@]}" -n -r 16000 -c 1 "$tmp/dong.wav" synth 0.7 sine 659 fade q 0.01 0.7 0.5 vol 0.6
"${SOX[@]}" "$tmp/ding.wav" "$tmp/dong.wav" -r 16000 -c 1 "${enc[@]}" "$out/chime.$ext" pad 0 0.15

echo "$(ls "$out"/*."$ext" | wc -l) clips ($ext) in $out, $(du -sh "$out" | cut -f1) in all"
