// Text for the default views (AzFileSync.ManagedIdentity.format.ps1xml). PowerShell's table wraps a cell
// character by character, so an id, a date or a number would be cut anywhere; the views hand their cells
// over already broken into lines at word boundaries.
using System;
using System.Collections.Generic;
using System.Text;
using System.Text.RegularExpressions;

namespace AzFileSync.ManagedIdentity
{
    /// <summary>Used by the module's format views; not meant to be called directly.</summary>
    public static class FileSyncFormat
    {
        const char Glue = '\u00A0';
        static readonly Regex DateTime = new Regex(@"\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?( UTC)?", RegexOptions.CultureInvariant);

        /// <summary>The text broken into lines of at most <paramref name="width"/> characters, at spaces; a word
        /// longer than a line is broken after a '/', '\', '.' or ',' (a path or an id), and only cut when it has
        /// none of those.</summary>
        public static string Wrap(string text, int width)
        {
            if (string.IsNullOrEmpty(text) || width < 8) return text;
            // A date with its time (2026-11-22 08:55 UTC) stays on one line: one word while wrapping.
            text = DateTime.Replace(text, m => m.Value.Replace(' ', Glue));
            var lines = new List<string>();
            foreach (string paragraph in text.Replace("\r\n", "\n").Split('\n'))
            {
                var line = new StringBuilder();
                foreach (string word in paragraph.Split(' '))
                {
                    if (word.Length == 0) continue;
                    int room = line.Length == 0 ? width : width - line.Length - 1;
                    if (word.Length <= room)
                    {
                        if (line.Length > 0) line.Append(' ');
                        line.Append(word);
                        continue;
                    }
                    if (word.Length <= width)
                    {
                        lines.Add(line.ToString());
                        line.Clear().Append(word);
                        continue;
                    }
                    // A word longer than a line: fill the line, then break the rest at separators.
                    string rest = word;
                    if (line.Length > 0 && room >= 8)
                    {
                        int cut = BreakAt(rest, room);
                        line.Append(' ').Append(rest, 0, cut);
                        rest = rest.Substring(cut);
                    }
                    if (line.Length > 0) lines.Add(line.ToString());
                    line.Clear();
                    while (rest.Length > width)
                    {
                        int cut = BreakAt(rest, width);
                        lines.Add(rest.Substring(0, cut));
                        rest = rest.Substring(cut);
                    }
                    line.Append(rest);
                }
                lines.Add(line.ToString());
            }
            return string.Join("\n", lines.ToArray()).Replace(Glue, ' ');
        }

        /// <summary>How many characters of the word go on a line of <paramref name="room"/>: up to and
        /// including the last separator that fits, else all of the room.</summary>
        static int BreakAt(string word, int room)
        {
            int max = Math.Min(room, word.Length);
            foreach (char separator in new[] { '/', '\\', ',', '.', '-' })
            {
                int at = word.LastIndexOf(separator, max - 1, max);
                if (at >= room / 3) return at + 1;
            }
            return max;
        }
    }
}
