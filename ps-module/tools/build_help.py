#!/usr/bin/env python3
"""Builds the MAML help file (en-US/AzFileSync.ManagedIdentity.dll-Help.xml) from the platyPS-style markdown
in ps-module/docs/, the way `New-ExternalHelp` would. Fails (exit 1) when a file does not have the expected
sections, so broken help never ships.

Usage: build_help.py DOCS_DIR OUTPUT_XML
"""
import glob
import os
import re
import sys
from xml.sax.saxutils import escape

NS = ('xmlns:maml="http://schemas.microsoft.com/maml/2004/10" '
      'xmlns:command="http://schemas.microsoft.com/maml/dev/command/2004/10" '
      'xmlns:dev="http://schemas.microsoft.com/maml/dev/2004/10" '
      'xmlns:MSHelp="http://msdn.microsoft.com/mshelp"')


class DocError(Exception):
    pass


def sections(text, level):
    """Split markdown into (title, body) pairs at headings of exactly `level` #'s, outside code fences."""
    out, title, body, fence = [], None, [], False
    prefix = "#" * level + " "
    for line in text.split("\n"):
        if line.startswith("```"):
            fence = not fence
        if not fence and line.startswith(prefix):
            if title is not None:
                out.append((title, "\n".join(body).strip("\n")))
            title, body = line[len(prefix):].strip(), []
        elif title is not None:
            body.append(line)
    if title is not None:
        out.append((title, "\n".join(body).strip("\n")))
    return out


def paras(text):
    """Paragraphs of plain text (blank-line separated), code fences removed."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def para_xml(text):
    ps = paras(text)
    if not ps:
        return "<maml:para></maml:para>"
    return "".join("<maml:para>%s</maml:para>" % escape(p) for p in ps)


def parse_yaml(block):
    meta = {}
    for line in block.split("\n"):
        if ":" in line:
            k, v = line.split(":", 1)
            meta[k.strip()] = v.strip()
    return meta


def parse(path):
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    top = sections(text, 1)
    if len(top) != 1:
        raise DocError("%s: expected one '# Command-Name' heading" % path)
    name, body = top[0]
    secs = dict(sections(body, 2))
    for required in ("SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS"):
        if required not in secs:
            raise DocError("%s: missing section ## %s" % (path, required))
    cmd = {"name": name, "synopsis": secs["SYNOPSIS"], "description": secs["DESCRIPTION"],
           "notes": secs.get("NOTES", ""), "sets": [], "params": [], "examples": [],
           "inputs": [t for t, _ in sections(secs["INPUTS"], 3)],
           "outputs": [t for t, _ in sections(secs["OUTPUTS"], 3)],
           "links": re.findall(r"\[([^\]]+)\]\(([^)]*)\)", secs.get("RELATED LINKS", ""))}
    if not paras(cmd["synopsis"]) or not paras(cmd["description"]):
        raise DocError("%s: empty synopsis or description" % path)
    for title, b in sections(secs["SYNTAX"], 3):
        cmd["sets"].append(title.replace("(Default)", "").strip())
    for title, b in sections(secs["EXAMPLES"], 3):
        m = re.search(r"```\w*\n(.*?)```", b, flags=re.S)
        if not m:
            raise DocError("%s: example '%s' has no code" % (path, title))
        cmd["examples"].append((title, m.group(1).rstrip("\n"), b[m.end():]))
    if not cmd["examples"]:
        raise DocError("%s: no example" % path)
    for title, b in sections(secs["PARAMETERS"], 3):
        if title == "CommonParameters":
            continue
        if not title.startswith("-"):
            raise DocError("%s: parameter heading '%s' must start with '-'" % (path, title))
        m = re.search(r"```yaml\n(.*?)```", b, flags=re.S)
        if not m:
            raise DocError("%s: parameter %s has no yaml block" % (path, title))
        desc = b[:m.start()]
        if not paras(desc):
            raise DocError("%s: parameter %s has no description" % (path, title))
        meta = parse_yaml(m.group(1))
        for k in ("Type", "Parameter Sets", "Required", "Position", "Accept pipeline input"):
            if k not in meta:
                raise DocError("%s: parameter %s lacks '%s'" % (path, title, k))
        cmd["params"].append(dict(name=title[1:], desc=desc, **meta))
    return cmd


def param_xml(p, set_name=None):
    aliases = p.get("Aliases") or "none"
    required = "true" if required_in(p, set_name) else "false"
    position = "named" if p["Position"] == "Named" else p["Position"]
    is_switch = p["Type"] == "SwitchParameter"
    value = "" if is_switch else (
        '<command:parameterValue required="true" variableLength="false">%s</command:parameterValue>' % escape(p["Type"]))
    return ('<command:parameter required="%s" variableLength="true" globbing="false" pipelineInput="%s" '
            'position="%s" aliases="%s"><maml:name>%s</maml:name><maml:description>%s</maml:description>%s'
            '<dev:type><maml:name>%s</maml:name><maml:uri /></dev:type><dev:defaultValue>%s</dev:defaultValue>'
            '</command:parameter>') % (
        required, escape(p["Accept pipeline input"]), position, escape(aliases), escape(p["name"]),
        para_xml(p["desc"]), value, escape(p["Type"]), escape(p.get("Default value", "None")))


def required_in(p, set_name):
    """Required is 'True', 'False', or per set: 'True (ByResourceId), False (ByName)'. Without a set (the
    parameters section): required in some set."""
    value = p["Required"].strip()
    if value in ("True", "False"):
        return value == "True"
    per_set = {}
    for part in value.split(","):
        m = re.match(r"\s*(True|False)\s*\((\w+)\)\s*$", part)
        if not m:
            raise DocError("parameter %s: Required '%s' is not True, False or 'True (Set), False (Set)'" % (p["name"], value))
        per_set[m.group(2)] = m.group(1) == "True"
    return any(per_set.values()) if set_name is None else per_set.get(set_name, False)


def in_set(p, s):
    sets = [x.strip() for x in p["Parameter Sets"].split(",")]
    return "(All)" in sets or s in sets or s == "__AllParameterSets"


def command_xml(c):
    verb, noun = c["name"].split("-", 1)
    x = ['<command:command %s>' % NS,
         '<command:details><command:name>%s</command:name><command:verb>%s</command:verb><command:noun>%s</command:noun>'
         '<maml:description>%s</maml:description></command:details>' % (escape(c["name"]), verb, noun, para_xml(c["synopsis"])),
         '<maml:description>%s</maml:description>' % para_xml(c["description"]),
         '<command:syntax>']
    for s in c["sets"]:
        x.append('<command:syntaxItem><maml:name>%s</maml:name>' % escape(c["name"]))
        x.extend(param_xml(p, s) for p in c["params"] if in_set(p, s))
        x.append('</command:syntaxItem>')
    x.append('</command:syntax><command:parameters>')
    x.extend(param_xml(p) for p in c["params"])
    x.append('</command:parameters><command:inputTypes>')
    for t in c["inputs"]:
        x.append('<command:inputType><dev:type><maml:name>%s</maml:name></dev:type><maml:description><maml:para></maml:para></maml:description></command:inputType>' % escape(t))
    x.append('</command:inputTypes><command:returnValues>')
    for t in c["outputs"]:
        x.append('<command:returnValue><dev:type><maml:name>%s</maml:name></dev:type><maml:description><maml:para></maml:para></maml:description></command:returnValue>' % escape(t))
    x.append('</command:returnValues><maml:alertSet><maml:alert>%s</maml:alert></maml:alertSet><command:examples>' % para_xml(c["notes"]))
    for i, (title, code, remarks) in enumerate(c["examples"], 1):
        x.append('<command:example><maml:title>-------------------------- %s --------------------------</maml:title>'
                 '<dev:code>%s</dev:code><dev:remarks>%s</dev:remarks></command:example>' % (escape(title), escape(code), para_xml(remarks)))
    x.append('</command:examples><command:relatedLinks>')
    for text, uri in c["links"]:
        x.append('<maml:navigationLink><maml:linkText>%s</maml:linkText><maml:uri>%s</maml:uri></maml:navigationLink>'
                 % (escape(text), escape("" if uri.endswith(".md") else uri)))
    x.append('</command:relatedLinks></command:command>')
    return "\n".join(x)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    docs, out = sys.argv[1], sys.argv[2]
    files = sorted(glob.glob(os.path.join(docs, "*-*.md")))
    if not files:
        print("build_help.py: no command markdown in %s" % docs, file=sys.stderr)
        return 1
    try:
        cmds = [parse(f) for f in files]
    except DocError as e:
        print("build_help.py: %s" % e, file=sys.stderr)
        return 1
    xml = '<?xml version="1.0" encoding="utf-8"?>\n<helpItems schema="maml" xmlns="http://msh">\n%s\n</helpItems>\n' % (
        "\n".join(command_xml(c) for c in cmds))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        f.write(xml)
    print("build_help.py: %d commands -> %s" % (len(cmds), out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
