#!/usr/bin/env python3
"""Pack a built module folder into a PowerShell Gallery package (.nupkg), as Publish-Module would.

Usage: pack_nupkg.py MODULE_DIR OUT_DIR

The package is a zip (Open Packaging Conventions) holding the module's files at its root, the nuspec the
Gallery reads (id, version, authors, description, license, project URL, release notes, tags: the manifest's,
plus PSModule, PSEdition_*, PSIncludes_Cmdlet and a PSCmdlet_<name> and PSCommand_<name> per cmdlet), and
the [Content_Types].xml and _rels/.rels NuGet clients expect. The fields come from the module's manifest
(.psd1), read with the standard library only. Prints the package's path.
"""
import os
import re
import sys
import zipfile
from xml.sax.saxutils import escape

NUSPEC_NS = "http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd"


class PackError(Exception):
    pass


def string_field(text, key):
    m = re.search(r"^\s*%s\s*=\s*'((?:[^']|'')*)'" % re.escape(key), text, flags=re.M)
    return m.group(1).replace("''", "'") if m else None


def list_field(text, key):
    m = re.search(r"^\s*%s\s*=\s*@\((.*?)\)" % re.escape(key), text, flags=re.M | re.S)
    if not m:
        return []
    return [v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'", m.group(1))]


def main(argv):
    if len(argv) != 3:
        raise PackError("usage: pack_nupkg.py MODULE_DIR OUT_DIR")
    module_dir, out_dir = argv[1], argv[2]
    name = os.path.basename(os.path.normpath(module_dir))
    manifest_path = os.path.join(module_dir, name + ".psd1")
    if not os.path.isfile(manifest_path):
        raise PackError("%s: no module manifest %s.psd1" % (module_dir, name))
    text = open(manifest_path, encoding="utf-8-sig").read()
    fields = {k: string_field(text, k) for k in
              ("ModuleVersion", "Author", "CompanyName", "Copyright", "Description", "ProjectUri", "LicenseUri", "ReleaseNotes")}
    for required in ("ModuleVersion", "Author", "Description", "ProjectUri", "LicenseUri"):
        if not fields[required]:
            raise PackError("%s: the manifest has no %s, which the Gallery's package needs" % (manifest_path, required))
    cmdlets = list_field(text, "CmdletsToExport")
    editions = list_field(text, "CompatiblePSEditions")
    tags = list_field(text, "Tags")
    tags += ["PSModule", "PSIncludes_Cmdlet"] + ["PSEdition_" + e for e in editions]
    tags += ["PSCmdlet_" + c for c in cmdlets] + ["PSCommand_" + c for c in cmdlets]
    seen = set()
    tags = [t for t in tags if not (t.lower() in seen or seen.add(t.lower()))]
    if any(" " in t for t in tags):
        raise PackError("a tag holds a space: %r" % [t for t in tags if " " in t])

    version = fields["ModuleVersion"]
    nuspec = """<?xml version="1.0" encoding="utf-8"?>
<package xmlns="%s">
  <metadata>
    <id>%s</id>
    <version>%s</version>
    <authors>%s</authors>
    <owners>%s</owners>
    <requireLicenseAcceptance>false</requireLicenseAcceptance>
    <license type="expression">MIT</license>
    <licenseUrl>%s</licenseUrl>
    <projectUrl>%s</projectUrl>
    <description>%s</description>
    <releaseNotes>%s</releaseNotes>
    <copyright>%s</copyright>
    <tags>%s</tags>
  </metadata>
</package>
""" % (NUSPEC_NS, escape(name), escape(version), escape(fields["Author"]), escape(fields["CompanyName"] or fields["Author"]),
       escape(fields["LicenseUri"]), escape(fields["ProjectUri"]), escape(fields["Description"]),
       escape(fields["ReleaseNotes"] or ""), escape(fields["Copyright"] or ""), escape(" ".join(tags)))

    files = []
    for root, dirs, names in os.walk(module_dir):
        dirs.sort()
        for n in sorted(names):
            full = os.path.join(root, n)
            files.append((full, os.path.relpath(full, module_dir).replace(os.sep, "/")))
    extensions = sorted({os.path.splitext(rel)[1].lstrip(".").lower() for _, rel in files if "." in os.path.basename(rel)} | {"nuspec", "rels", "psmdcp"})
    content_types = ('<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                     '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" />'
                     + "".join('<Default Extension="%s" ContentType="application/octet" />' % escape(e) for e in extensions if e != "rels")
                     + "</Types>")
    rels = ('<?xml version="1.0" encoding="utf-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/%s.nuspec" Id="R0" /></Relationships>' % escape(name))

    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "%s.%s.nupkg" % (name, version))
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", content_types)
        z.writestr("_rels/.rels", rels)
        z.writestr(name + ".nuspec", nuspec)
        for full, rel in files:
            info = zipfile.ZipInfo.from_file(full, rel)
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(full, "rb") as f:
                z.writestr(info, f.read())
    os.replace(tmp, path)
    print(path)


if __name__ == "__main__":
    try:
        main(sys.argv)
    except PackError as e:
        print("pack_nupkg.py: %s" % e, file=sys.stderr)
        sys.exit(1)
