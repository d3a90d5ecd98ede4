#!/usr/bin/env python3
"""Generate src/catalog/catalog.tsv, the File Sync error catalog embedded in the crate.

Run once by a maintainer who has the reference facts table (error-catalog.tsv, compiled from Microsoft's
public File Sync troubleshooting articles):

    python3 src/catalog/gen_catalog.py ../shared/reference/error-catalog.tsv > src/catalog/catalog.tsv

The reference table supplies only FACTS: the codes, the symbolic names, which article lists a code, its
category (AUTH/NET/CFG) and the decimals the articles print. Every summary, explanation and remediation
below is the project's own text. The script refuses to write a row whose text shares a run of six or more
words with the reference descriptions.
"""

import csv
import re
import sys
from collections import OrderedDict

# ----------------------------------------------------------------------------------------------------
# Tables (contexts) and the order in which they decide an entry's primary article and category.
TABLES = OrderedDict([
    ("mi-doc", "managed-identity"),
    ("sync-session", "sync-session"),
    ("sync-per-item", "sync-per-item"),
    ("tiering", "tiering"),
    ("recall", "recall"),
    ("sgm-doc", "sync-group-management"),
])
TABLE_CATEGORY = {
    "sync-session": "sync-session",
    "sync-per-item": "per-item",
    "tiering": "tiering",
    "recall": "recall",
    "sgm-doc": "management",
}
FACT_CATEGORY = {"AUTH": "auth", "NET": "network", "CFG": "configuration"}

# Names the articles use for several different codes: kept as context labels, not as lookup names.
SHARED_LABELS = {"MgmtServerJobFailed"}

# Well-known symbolic names for codes the articles list without one (Win32 error 21 = ERROR_NOT_READY).
EXTRA_NAMES = {"0x80070015": ["ERROR_NOT_READY"]}

# Which of the project's checks explain a code is not written here: each check declares its codes beside its
# function (src/checks/), and the tool derives the catalog's "checks" from those declarations.

# Codes a check names that the reference table lacks: (category, summary, explanation, remediation).
EXTRA_CODES = {}

# Articles that list a code besides the rows of the reference table: (table, label). The managed identity
# troubleshooting article (SupportArticles-docs file-sync-troubleshoot-managed-identities.md, 04/2025) has
# sections for these two codes, with Set-AzStorageSyncCloudEndpointPermission as the fix.
EXTRA_CONTEXTS = {
    "0x80c8305f": [("mi-doc", "ECS_E_EXTERNAL_STORAGE_ACCOUNT_AUTHORIZATION_FAILED")],
    "0x80c86053": [("mi-doc", "ECS_E_AZURE_FILE_SHARE_NOT_ACCESSIBLE")],
}

# ----------------------------------------------------------------------------------------------------
# Reusable remediation texts (own words).
R_NOTHING = "Nothing to do; File Sync handles it on a later pass."
R_CLEARS = "Nothing to do: it normally goes away on its own within a few sync sessions."
R_DAY = "Wait: it normally clears by itself. If it is still reported after more than a day, open a case with Microsoft support."
R_DAYS = "Usually clears without help. Open a case with Microsoft support only if it keeps appearing for several days."
R_HOURS = "Usually clears without help. Open a case with Microsoft support if it is still reported after several hours."
R_RENAME = ("Give the item a name Azure Files accepts. The sync errors article explains which characters are a problem, "
            "and Microsoft's ScanUnsupportedChars script can find and rename such items in bulk.")
R_NET = ("From the server: make sure no firewall blocks FileSyncSvc.exe, that outbound HTTPS (port 443) to the File Sync "
         "endpoints works (Test-NetConnection), that the agent's proxy settings are right (Get-StorageSyncProxyConfiguration), "
         "and run Test-StorageSyncNetworkConnectivity. Involve the network team if it still fails.")
R_NETTEST = "Run Test-StorageSyncNetworkConnectivity on the server and fix whatever connection problem it reports."
R_SHAREFULL = ("Look at the share's quota in the portal (Edit quota) and raise it if the storage account allows; otherwise "
               "delete data on the server endpoint, or spread the data over several sync groups, each with its own share.")
R_CERT = "Run Reset-AzStorageSyncServerCertificate for the server (with the Az.StorageSync module) to issue a new certificate."
R_TLS = ("Something between the server and Azure is presenting its own TLS certificate. Ask the team that runs your proxy or "
         "security appliance to let File Sync traffic through unchanged.")
R_MEMORY = "Watch the server's memory use; find what is consuming it and add memory or reduce the load if it keeps happening."
R_CHKDSK = "Run chkdsk on the volume to repair file system damage."
R_ORIGINAL = "If you still have the original file (a backup or another copy), copy it over the tiered file on the server."
R_FIREWALL = ("In the storage account's Networking settings, allow the server: its public IP, its virtual network, or a private "
              "endpoint it can resolve and reach.")
R_FILTER = ("From an elevated prompt run 'fltmc load storagesync' to load the tiering filter driver; if it will not load, "
            "reinstall the File Sync agent.")

T_INTERNAL = "File Sync hit an internal fault ({n}) that it does not attribute to your configuration."
T_SESSION = "A sync session failed with an internal condition ({n}); the next session normally succeeds."
T_TIER_UNEXPECTED = "Tiering a file failed for an internal reason ({n}). The file stays local and is tried again later."

def internal(n):
    return T_INTERNAL.format(n=n)

# ----------------------------------------------------------------------------------------------------
# code -> (summary, explanation, remediation); all text is the project's own.
TEXT = {
# --- per-item sync errors --------------------------------------------------------------------------
"0x80070043": ("A tiered file points at data that can no longer be reached",
    "The file on the server is only a placeholder for data in the cloud, and the server endpoint it belonged to was deleted "
    "before its contents were brought back, so that data can't be reached through this path any more.",
    "See the cloud tiering troubleshooting article (tiered files not accessible on the server); restore or remove these "
    "orphaned placeholders. Recall tiered files before deleting a server endpoint in future."),
"0x80c80207": ("Item waits for a folder it depends on",
    "This change relies on a folder (for example its parent) that has not reached the other side yet, so File Sync holds it back "
    "until that folder is synced.", R_DAYS),
"0x80c8028a": ("Item waits for a folder that is itself failing to sync",
    "Like 0x80c80207, the change depends on a folder that hasn't synced, but here that folder has its own error, so this item "
    "stays blocked until the folder's problem is solved.",
    "If it persists, run FileSyncErrorsReport.ps1 on the server, find the per-item error of the folder this item depends on, "
    "and fix that one first."),
"0x80c80206": ("Item failed in a way File Sync will retry",
    "Processing the item failed, but the failure is of a kind the sync engine expects to get past on a later attempt.", R_DAYS),
"0x80c80284": ("Item blocked by an unsynced folder, and the session failed",
    "The change depends on a folder that hasn't synced yet and, on top of that, the whole sync session ended in error, so the "
    "item could not be handled this round.",
    "Nothing to do for the item. If it keeps returning, look at the server endpoint's session error (last sync result) and "
    "solve that."),
"0x8007007b": ("Item name is not valid in Azure Files",
    "The file or folder name contains characters or a form the Azure file share won't accept, so the item is left out of sync.",
    R_RENAME),
"0x80070459": ("Item name has an unsupported Unicode surrogate pair",
    "The name contains a Unicode surrogate pair File Sync cannot translate for Azure Files, so the item is not synced.",
    R_RENAME),
"0x80c80255": ("Name accepted by Windows but not by the Azure Files service",
    "The file or folder name is fine on the server's NTFS volume but is rejected by Azure Files, so the item can't be synced.",
    R_RENAME),
"0x80c8026d": ("Name can't be used at the root of the synced share",
    "A few names are reserved at the top level of a sync share; an item with such a name there is skipped on purpose.",
    "Nothing to fix; such items stay local. The file system compatibility section of the File Sync planning guide lists them."),
"0x80c80018": ("File is open and will be synced later",
    "An application holds the file open, so its latest state can't be uploaded now. It goes up once it is closed, and the daily "
    "session that works from a temporary VSS snapshot also uploads files that stay open.",
    "Nothing to do."),
"0x80c86013": ("The copy in the Azure file share is held open",
    "A client of the Azure file share (an SMB mount or an application) has a handle open on the file, which stops sync from "
    "changing it.",
    "List open handles on the share with Get-AzStorageFileHandle and close the stale ones with Close-AzStorageFileHandle."),
"0x80c8031d": ("File changed before sync noticed the change",
    "The file was modified again after sync picked it up but before change detection saw the new edit; the next pass takes "
    "the new version.", R_NOTHING),
"0x80c8005f": ("Path is too long for Azure Files",
    "The full path of the item (or one of its parts) exceeds what Azure Files allows, so the item can't be created in the share.",
    "Run FileSyncErrorsReport.ps1 to list the affected items, then shorten folder or file names; the ScanUnsupportedChars "
    "script helps with bulk fixes."),
"0x80070002": ("File or path not found",
    "During sync it means a file was deleted before sync learned of it, which is harmless. When creating a server endpoint "
    "(reported as MgmtServerJobFailed) it means the path given is not usable.",
    "During sync nothing needs doing. For a failed server endpoint creation, choose an existing path on a locally attached "
    "NTFS volume."),
"0x80070003": ("Deletion already done on the other side",
    "A delete could not be replayed because the item is already absent at the destination; the two sides agree anyway.",
    R_NOTHING),
"0x80c80205": ("Item skipped",
    "File Sync left the item out. For uploads it retries later; for downloads the usual reason is a name the server's file "
    "system can't hold.",
    "For uploads nothing. For downloads rename the item in the Azure file share to a name Windows accepts."),
"0x800700b7": ("Item already exists on the other side",
    "A newly created item could not be replayed because something with that name already exists at the destination.",
    R_NOTHING),
"0x80c8603e": ("The Azure file share is full",
    "The share reached its quota (or its maximum size), so new or changed data can't be uploaded. Listed both as a per-item "
    "error and as a session error.", R_SHAREFULL),
"0x80c83008": ("Upload could not be staged because the share is full",
    "File Sync uploads a file into a temporary copy first; that copy could not be created because the Azure file share has "
    "no room left.", R_SHAREFULL),
"0x80c8027c": ("File is encrypted with EFS",
    "The file is protected by the NTFS Encrypting File System, which File Sync can't read and doesn't support.",
    "Decrypt the file and protect the data with an encryption method File Sync supports, such as BitLocker on the volume."),
"0x80c80283": ("File lives in a DFS-R read-only replicated folder",
    "File Sync does not support syncing content of a DFS Replication read-only folder, so access to the file is refused.",
    "Don't put server endpoints on DFS-R read-only folders; the DFS section of the File Sync planning guide explains what "
    "works together."),
"0x80070005": ("Access denied",
    "A general refusal seen in several places. For one item it often means a delete is still pending on the file. For a whole "
    "session it points at the storage account's security or network settings, or at NTFS permissions on the volume. While "
    "tiering it can mean the file is in a DFS-R read-only folder (unsupported). During recall the storage firewall is "
    "turning the server away.",
    "For a single item, nothing. For a session: allow SMB 3.1.1, NTLMv2 and AES-128-GCM in the storage account's SMB "
    "security settings, check firewall and virtual network rules, and make sure NT AUTHORITY\\SYSTEM can reach the volume's "
    "System Volume Information folder. For recall, allow the server through the storage firewall."),
"0x80c86044": ("Storage refused the request (firewall or permissions)",
    "The storage account did not authorize the request. Usually its firewall or virtual network rules don't admit the server; "
    "a missing account or share, or File Sync lacking its role on the account, cause it too.",
    "Check the storage account and share exist, let the server through the account's network rules (see the File Sync "
    "deployment guide), and confirm File Sync's role assignments on the account."),
"0x8000ffff": ("Catch-all failure (E_UNEXPECTED)",
    "A catch-all failure without a more specific cause, seen for single items and during tiering.",
    "Nothing at first. If one item keeps failing with it for several days, open a case with Microsoft support."),
"0x80c8308f": ("Version (ETag) check against the destination failed",
    "Before applying a change, sync compares version tags with the other side; they didn't match, so the change was held back.",
    R_DAYS),
"0x80070020": ("File is in use (sharing violation)",
    "Another process has the file open in a mode that keeps sync from reading it.",
    "Nothing to do; it syncs once the file is released."),
"0x80c80017": ("File changed while File Sync was working on it",
    "An application wrote to the file during sync or tiering, so File Sync dropped the operation to retry it later.",
    R_NOTHING),
"0x80070017": ("Data error (CRC) reading the file",
    "Reading the file failed its integrity check, usually because it is an orphaned tiered file or because the file is damaged.",
    "Remove orphaned tiered files (see the cloud tiering troubleshooting article); if the error remains, run chkdsk on the volume."),
"0x800703ee": ("File is no longer valid",
    "During sync this is usually an orphaned tiered file, whose server endpoint no longer exists. During recall it means "
    "something outside File Sync changed the volume.",
    "For sync, remove the orphaned tiered files. For recall, open a support case if it keeps happening for more than a day."),
"0x80070570": ("File or folder is corrupt",
    "The file system reports the item as damaged, so it can't be read for sync or written during recall.", R_CHKDSK),
"0x80c80200": ("Too many conflict copies of one file",
    "Each unresolved conflicting edit leaves a renamed copy beside the file; a file may have at most 100 such copies and this "
    "one has reached that.",
    "Delete the conflict copies you no longer need so fewer than 100 remain."),
"0x80c8027d": ("Folder rename waits for files open inside it",
    "A folder was renamed while files within it are open; sync applies the rename once those handles are closed.",
    R_NOTHING),
"0x800700de": ("Tiered file refers to a version the share no longer has",
    "The placeholder on the server points to file content that is gone from the Azure file share, for instance after the "
    "server was restored from its own backup.",
    "Bring the file back from a snapshot of the Azure file share."),
"0x80c80065": ("File set aside after repeated failures",
    "The file failed to sync so many times that File Sync stopped trying for now; it tries again after the retry interval "
    "(24 hours).", "Nothing to do; File Sync retries it after a day."),
"0x80c80203": ("File transfer failed",
    "Moving the file's data between server and share did not complete; the next attempt starts over.", R_NOTHING),
"0x80c8027f": ("Changes depend on one another in a loop",
    "The name points to changes whose order can't be resolved because each waits for another; the article files it under "
    "sync session timeouts. A later session normally untangles it.", R_NOTHING),
"0x80070035": ("A network path could not be found",
    "A network path could not be found while handling the item or while tiering; this is usually a passing network "
    "condition.", R_CLEARS),
"0x80071779": ("File is read-only",
    "The destination file is marked read-only, so sync could not write the change.",
    "Open a support case if the item still fails after a day."),
"0x80070006": ("Invalid handle",
    internal("an invalid handle") + " It is seen for single items during sync and during recall.",
    "Open a support case if it still happens after a day."),
"0x80070032": ("Operation not supported",
    "On upload the file is most likely an orphaned tiered file. During recall it is an internal fault that newer agents fix.",
    "For uploads remove orphaned tiered files; for recall install the newest File Sync agent."),
"0x8007012f": ("File is being deleted",
    "The file has been marked for deletion but something still holds it open, so sync can't process it.",
    "It usually resolves itself; otherwise find and close the open handles on the share with Get-AzStorageFileHandle and "
    "Close-AzStorageFileHandle."),
"0x80041007": ("Internal error: an expected item was missing",
    internal("an item it expected was absent"), "Open a support case if it is still reported after a day."),
"0x80c80293": ("Session ended because the first scan finished",
    "The session stopped when the initial enumeration of the endpoint completed; normal sessions follow.", R_NOTHING),
"0x80c80342": ("Sync database is newer than this agent",
    "The server's sync database holds custom metadata in a version the installed agent doesn't understand.",
    "Upgrade the File Sync agent to the current release."),
"0x80c8604b": ("File not found in the Azure file share",
    "During sync the file is simply no longer in the share, usually deleted there; harmless. During recall the cloud copy "
    "behind a tiered file is missing, which follows an operation File Sync doesn't support.",
    "During sync nothing. During recall: " + R_ORIGINAL),
"0x80c80201": ("Item carries a reparse point File Sync can't sync",
    "The file or folder has a reparse point of a kind File Sync doesn't handle.",
    "Remove the reparse point, or replace the item with its real content."),
"0x80c80362": ("A name in the path ends with a dot",
    "A file or folder name in the path has trailing dots, which Azure Files can't represent; syncing or recalling items below "
    "it fails. Agent 21.2 fixes the recall side.",
    "Rename the items so no name ends with a dot; for recall failures also upgrade to agent 21.2 or later."),
"0x80c8024e": ("Item skipped over a conflict that couldn't be reported",
    "A constraint conflict was detected on the item but couldn't be recorded as a per-item error, so the item was skipped.",
    "Open a support case if it persists."),
"0x80c80208": ("Item skipped while sync metadata is rebuilt",
    "While File Sync was reconciling its metadata it passed over the item; the next full sync picks it up.", R_DAYS),
# --- sync session errors ---------------------------------------------------------------------------
"0x800704c7": ("Sync session was cancelled",
    "The session stopped before finishing; File Sync starts another one by itself.",
    "Ignore it unless sessions keep getting cancelled for several hours."),
"0x80c8029c": ("Session stopped by the daily VSS snapshot session",
    "Once a day File Sync runs a session from a volume snapshot to pick up open files; it stopped the session that was "
    "running.", "Nothing to do; the VssSyncScheduledTask task decides when that session runs."),
"0x80072ee7": ("Server can't resolve a File Sync or storage host name",
    "A DNS lookup failed, so the server could not open a connection to the File Sync service (during sync) or to the file "
    "share (during tiering).", R_NET),
"0x80c83081": ("HTTP connection to the service failed",
    "The agent's HTTP client could not connect to the File Sync service.", R_NET),
"0x80c8309a": ("Storage host name doesn't resolve",
    "The server could not resolve the name of the Azure Storage endpoint it needs for sync.", R_NET),
"0xc00000c4": ("Unexpected network error",
    "An NT status from the network stack: the connection to the service failed in an unexpected way.", R_NET),
"0x80072ee2": ("Connection timed out",
    "The server waited too long for the File Sync service (during sync) or the file share (during tiering) to answer.", R_NET),
"0x80072efe": ("Connection aborted",
    "The connection to the File Sync service (or the file share, during tiering) was cut before the exchange finished.", R_NET),
"0x80c8004c": ("Service throttled the server's requests",
    "The File Sync service is rate-limiting this server; the agent backs off and retries.", R_HOURS),
"0x80c83000": ("Operation aborted",
    "A sync operation was aborted before it finished.", R_HOURS),
"0x80c8308d": ("Operation cancelled from outside",
    "Something outside the session cancelled the request it was waiting on.", R_DAYS),
"0x8013153b": ("Operation cancelled (.NET)",
    "A .NET operation inside the agent was cancelled; sessions resume on their own.", R_DAYS),
"0x80c83075": ("Sync waits for change detection after a restore",
    "Files were restored into the Azure file share (for example by Azure Backup); sync pauses until change detection has "
    "scanned the share.", R_NOTHING),
"0x80c83058": ("Folder sync paused for a restore",
    "A restore is in progress on the folder, so sync holds off until it ends.", R_DAYS),
"0x80041295": ("Sync database was unloaded during the session",
    "The session lost its sync database, which happens for instance when backup software takes a VSS snapshot of the volume.",
    "If a backup takes volume snapshots, expect it to stop afterwards; open a support case if it keeps failing for hours."),
"0x80c8305f": ("File Sync is not authorized on the cloud endpoint's storage account",
    "The Storage Sync Service could not get into the storage account or share behind the cloud endpoint. In managed-identity "
    "mode the service's system-assigned identity needs Storage Account Contributor on the storage account; in shared-key mode, "
    "and while any server still authenticates with a certificate, the Microsoft.StorageSync service principal needs Reader and "
    "Data Access there. A deny assignment, a missing account or share, SMB security settings or the firewall can cause it too. "
    "Seen in sync sessions and in recall.",
    "Confirm the storage account and share exist and grant the missing role (Set-AzStorageSyncCloudEndpointPermission does this "
    "in managed-identity mode). Also check that the account's SMB security settings allow SMB 3.1.1, NTLMv2 and AES-128-GCM, "
    "and that its firewall and virtual network rules let File Sync in."),
"0x80c86053": ("The service can't reach the cloud endpoint's file share",
    "The Storage Sync Service's identity lacks Storage File Data Privileged Contributor on the file share (it must be granted at "
    ".../fileServices/default/fileshares/{share} or above; the .../shares/{share} spelling has been reported not to work), or a "
    "deny assignment blocks it. A missing share or blocking network settings give the same code.",
    "Grant the service identity Storage File Data Privileged Contributor on the share (Set-AzStorageSyncCloudEndpointPermission "
    "does it), and check that the share exists, that the SMB security settings allow SMB 3.1.1, NTLMv2 and AES-128-GCM, "
    "and the storage firewall (or the network security perimeter around the account)."),
"0x80c83060": ("Storage account name doesn't resolve",
    "The server could not resolve the storage account's host name.",
    "On the server run Test-NetConnection <account>.file.core.windows.net -Port 443, confirm the account still exists, and "
    "check its firewall and virtual network settings."),
"0x80c8308a": ("Unknown error reaching the storage account",
    "Accessing the storage account failed without a specific reason.",
    "Confirm the storage account exists and that its firewall and virtual network rules admit File Sync and the server."),
"0x80c83092": ("Storage account carries a read-only lock",
    "A ReadOnly resource lock on the storage account (or inherited from its resource group or subscription) blocks the "
    "operations File Sync needs.",
    "Remove the ReadOnly lock, or move it off the storage account's scope."),
"0x8e5e044e": ("Sync database write conflict",
    "The server's sync database (ESE) reported conflicting writes.", "Open a case with Microsoft support."),
"0x80c8306b": ("Agent version is blocked",
    "The File Sync agent on the server is no longer supported by the service (its agent version status is Blocked or "
    "Expired), so sync stops.",
    "Install a supported File Sync agent, ideally the latest."),
"0x80c80249": ("Not enough room in the Azure file share",
    "The share has no space left for what sync wants to upload.", R_SHAREFULL),
"0x80c86030": ("The cloud endpoint's file share doesn't exist",
    "The Azure file share named in the cloud endpoint can't be found: it or its storage account was deleted. Seen in sync "
    "sessions and in recall.",
    "Confirm the storage account and share exist and that its SMB security settings allow SMB 3.1.1, NTLMv2 and AES-128-GCM. "
    "If the share was deleted, recreating one "
    "with the same name isn't enough: create the share and then a new sync group for it."),
"0x80c83076": ("Subscription is suspended",
    "Sync is paused while the Azure subscription is suspended.", "Reactivate the subscription; sync resumes."),
"0x80c8033e": ("Storage firewall blocks the server",
    "The storage account's firewall or virtual network rules don't allow this server.",
    R_FIREWALL + " Keep the trusted Microsoft services exception on for File Sync itself."),
"0x80c80219": ("Sync database busy (write lock timeout)",
    "Waiting for a write lock on the sync database took too long.", R_HOURS),
"0x80c83044": ("Sync database busy (write lock timeout, service side)",
    "Waiting for a write lock on sync metadata took too long while the service was unavailable.", R_HOURS),
"0x80c8021f": ("Sync database storage is busy",
    "Reading or writing the sync database hit a busy condition.", R_CLEARS),
"0x80c8021e": ("Sync database I/O timed out",
    "An I/O request to the sync database took too long.", R_CLEARS),
"0x80c80220": ("Sync database I/O error",
    "An I/O request to the sync database failed (seen in sync sessions and while tiering).", R_CLEARS),
"0x80071128": ("Reparse data is damaged",
    "The file system's reparse data for a file is corrupt and can't be read (seen in sync sessions and while tiering).",
    R_CHKDSK),
"0x80071129": ("Files carry an unknown reparse tag",
    "Files carry a reparse tag the system doesn't recognise.",
    "Delete the affected files, or copy them back as ordinary files."),
"0x800b0109": ("Certificate chains to an unexpected root",
    "The TLS certificate the server received does not chain to the root File Sync expects, which usually means a proxy or "
    "appliance is inspecting TLS.",
    "If that inspection is intended, set the DWORD SkipVerifyingPinnedRootCertificate = 1 under "
    "HKLM:\\SOFTWARE\\Microsoft\\Azure\\StorageSync and restart FileSyncSvc; otherwise exempt File Sync traffic from it."),
"0x80072f8f": ("Service response couldn't be decoded",
    "The agent could not verify or read the answer it got: certificate revocation lookups fail because the PKI addresses are "
    "blocked or down, or a proxy changed the response.",
    "Allow the certificate revocation (CRL/OCSP) addresses: www.microsoft.com/pki/mscorp/cps, crl.microsoft.com, "
    "mscrl.microsoft.com, ocsp.msocsp.com, ocsp.digicert.com, crl3.digicert.com; and check the proxy configuration."),
"0x80c80300": ("Server authentication failed (clock)",
    "The server's authentication was rejected; the typical cause is a wrong system time on the server.",
    "Fix the server's clock (for a virtual machine, check the host's time too)."),
"0x80c83078": ("Server certificate expired",
    "The certificate the server uses to authenticate to File Sync has expired.", R_CERT),
"0x80c80228": ("Server authentication certificate missing",
    "The certificate the server authenticates with could not be found.", R_CERT),
"0x80c83079": ("Server's identity was not found",
    "The service could not match the identity the server presented. Documented causes (sync errors article, 06/2025): a "
    "server endpoint whose deletion stopped part way (it is left half deleted), and a server that got a new authentication "
    "certificate the service has not seen yet. This tool's inference, not documented for this code: with managed identities, "
    "a server identity in another Entra tenant than the Storage Sync Service or storage account, or an identity that was "
    "reset or re-created (a reconnected Arc machine, a rebuilt VM) and that the registered server does not name yet.",
    "If a server endpoint deletion failed, delete it again. After a certificate change, wait and retry, or run "
    "Reset-AzStorageSyncServerCertificate on the server. For the inferred identity causes: keep service, servers, identities "
    "and storage in one tenant; after an identity change allow the documented 15 minutes, then compare the registered "
    "server's applicationId with the machine's current identity and run Set-AzStorageSyncServer -Identity on the server if "
    "they differ."),
"0x8e5e0211": ("Volume low on space (sync database log)",
    "The sync database could not write its log because the volume is short of space.",
    "Free space on the volume, or raise the FSRM or NTFS quota that limits it."),
"0x80c8031a": ("Volume low on space",
    "The server volume doesn't have enough free space for sync.",
    "Free space on the volume, or raise the FSRM or NTFS quota that limits it."),
"0x80c8300f": ("Service not ready for this server endpoint yet",
    "The service is still detecting changes made directly in the Azure file share; sync with this endpoint starts afterwards.",
    "Wait for cloud change detection to finish."),
"0x80c8023b": ("Many files are failing (soft limit)",
    "So many individual items are failing that sync metadata nears its limit.",
    "Fix the per-item errors; FileSyncErrorsReport.ps1 lists them."),
"0x80c8021c": ("Many files are failing (hard limit)",
    "So many individual items fail that sync metadata reached its limit.",
    "Fix the per-item errors (FileSyncErrorsReport.ps1 lists them) and open a support case."),
"0x80c80253": ("Too many per-item errors",
    "The number of failing individual items is too high for the session to go on.",
    "Fix the per-item errors; FileSyncErrorsReport.ps1 lists them."),
"0x80c80019": ("Server endpoint path is invalid",
    "The folder of the server endpoint is not usable for sync.",
    "Make sure the path exists on a local NTFS volume, is not a reparse point, and isn't already another server endpoint."),
"0x80c80277": ("Filter driver doesn't match the agent",
    "The tiering filter driver loaded on the server belongs to a different agent version.",
    "Restart the server; if that doesn't fix it, reinstall the current agent."),
"0x80c8004b": ("Service temporarily unavailable",
    "The File Sync service could not take the request at the moment.", R_CLEARS),
"0x80131500": ("Generic exception; for connectivity tests: trusted-services exception off",
    "In a sync session this is a generic .NET exception that usually passes. When Test-StorageSyncNetworkConnectivity reports "
    "it on a server using its managed identity, the storage account's firewall is on without the exception for trusted Azure "
    "services (networkAcls.bypass lacks AzureServices).",
    "Turn on 'Allow Azure services on the trusted services list to access this storage account'. If it shows up in sync "
    "sessions with the exception on, open a support case when it lasts for hours."),
"0x80c83073": ("Storage account now runs in its secondary region",
    "The storage account was failed over to its secondary region; File Sync does not support that.",
    "Fail the storage account back to its primary region."),
"0x80c8020e": ("Lost the lease on the sync database",
    "A short-lived problem with the sync database: its write lease was lost.", R_CLEARS),
"0x80c83088": ("Microsoft Entra tenant changed",
    "The tenant behind the subscription or storage account changed, so File Sync's access to the storage account no longer "
    "holds.",
    "Install the latest agent and give the Microsoft.StorageSync application access to the storage account again (see the "
    "RBAC troubleshooting steps in the sync errors article)."),
"0x80c83096": ("Storage firewall on without the trusted-services exception",
    "The storage account's firewall or virtual network rules are active and the exception for trusted Microsoft services is off "
    "(networkAcls.bypass lacks AzureServices), so the File Sync service is refused. Seen in sync sessions and in recall.",
    "In the storage account's Networking settings tick 'Allow Azure services on the trusted services list to access this "
    "storage account'."),
"0x80c8027e": ("The Azure file share was deleted and recreated",
    "The cloud endpoint's share is a new share with the old name; sync can't continue against it.",
    "Delete the server endpoints, the cloud endpoint and the sync group, clean up orphaned tiered files on the servers, then "
    "create the sync group again."),
"0x80c80254": ("Endpoint restored to an older state",
    "One side was restored to an earlier point in time; sync reconciles the two.", R_NOTHING),
"0x80c802a1": ("Server endpoint moved to another volume",
    "The folder of the server endpoint now lives on a different volume than when the endpoint was created.",
    "Open a case with Microsoft support."),
"0x80190133": ("HTTP request was redirected",
    "A proxy or network device answered with a redirect; File Sync doesn't follow redirects.",
    "Turn off HTTP redirection for File Sync traffic on the proxy or network device."),
"0x80c8304a": ("Sync session timed out",
    "Work inside the session took longer than allowed.", R_CLEARS),
"0x80c83049": ("Sync session timed out (result not found)",
    "The session could not find the result of queued work in time.", R_CLEARS),
"0x80c83093": ("Sync session timed out (result expired)",
    "A work result expired before the session collected it.", R_CLEARS),
"0x80131505": ("Operation timed out",
    "A .NET timeout inside the agent.", R_CLEARS),
"0x80c8600d": ("Azure operation timed out",
    "A request to Azure Storage took too long.", R_CLEARS),
"0x80c8027a": ("Server endpoint folder not found",
    "The server endpoint's folder is gone, typically renamed or deleted.",
    "If it was renamed, rename it back and restart FileSyncSvc; otherwise delete and recreate the server endpoint."),
"0x80c80299": ("Server-authoritative provisioning from an empty path",
    "The server endpoint was provisioned to treat the server as the authority, but its path is empty.",
    "Remove the server endpoint and create it again."),
"0x80c83087": ("Storage account's subscription is disabled",
    "The subscription that holds the storage account is disabled.", "Re-enable the subscription."),
"0x80070040": ("The network connection went away",
    "The network connection the agent was using went away.", R_NETTEST),
"0x80c8300d": ("Sync session error (placeholder blob)",
    T_SESSION.format(n="creating the active-session placeholder"), R_CLEARS),
"0x80c8300e": ("Sync session error (watermark update)",
    T_SESSION.format(n="updating the replica watermark"), R_CLEARS),
"0x80c8024a": ("Sync session restarted (deferral queue)",
    T_SESSION.format(n="its deferral queue asked for a restart"), R_CLEARS),
"0x80c83098": ("Storage management operation throttled",
    T_SESSION.format(n="a storage account management call was throttled"), R_CLEARS),
"0x80c83082": ("Sync session error (work item can't be retried)",
    T_SESSION.format(n="a background work item could not be retried"), R_CLEARS),
"0x80c83006": ("Sync session error (batch)",
    T_SESSION.format(n="a batch of service calls failed"), R_CLEARS),
"0x80c830a1": ("Too many version (ETag) check failures",
    "The session saw so many version-tag mismatches that it stopped.", R_DAY),
"0x80c8023c": ("Cloud-side sync metadata is damaged",
    "The session found the sync metadata held in the cloud to be corrupt.", R_DAY),
"0x80070057": ("Internal error: invalid parameter", internal("an invalid parameter"), R_CLEARS),
"0x80c80302": ("Internal error: unknown HTTP server error", internal("an unrecognised server error"), R_CLEARS),
"0x8004100c": ("Internal error: deserialization failed", internal("data could not be deserialized"), R_CLEARS),
"0x80c8022d": ("Internal error: too many uncommitted transactions", internal("the sync database's uncommitted transaction limit"), R_CLEARS),
"0x80c83097": ("Internal error: queue client exception", internal("a queue client exception"), R_CLEARS),
"0x80c80245": ("Internal error: epoch change detected", internal("an epoch change"), R_CLEARS),
"0x80072ef3": ("Internal error: bad connection handle state", internal("an HTTP handle in the wrong state"), R_CLEARS),
"0x80c87093": ("Internal error in the service's data plane", internal("a data-plane fault in the service"), R_CLEARS),
"0x80c87005": ("Internal error in the service", internal("a management fault in the service"), R_CLEARS),
"0x80131509": ("Invalid operation (.NET)",
    internal("a .NET invalid-operation exception") + " Seen in sync sessions and recall.", R_DAY),
"0x80070718": ("Not enough quota / memory",
    "In a sync session an internal fault; while tiering it means the server is short of memory.",
    "For tiering, " + R_MEMORY[0].lower() + R_MEMORY[1:] + " For sessions, open a support case if it lasts over a day."),
"0x80131622": ("Internal error: object disposed", internal("use of a disposed object"), R_DAY),
"0x80004002": ("Internal error: interface not supported", internal("a missing COM interface"), R_DAY),
"0x800700a1": ("Internal error: bad path name", internal("an invalid path name"), R_DAY),
"0x8007054f": ("Internal error", internal("a generic internal error"), R_DAY),
"0x80131501": ("System exception (.NET)",
    "A general .NET system exception; in sync sessions an internal fault, while tiering a failure outside File Sync.", R_DAY),
"0x80131620": ("I/O exception (.NET)", internal("a .NET I/O exception"), R_DAY),
"0x80070026": ("End of stream reached",
    "Data ended earlier than expected; in sync sessions an internal fault, while tiering caused outside File Sync.", R_DAY),
"0x80070554": ("Internal error: package missing", internal("a missing security package"), R_DAY),
"0x80131537": ("Internal error: format exception", internal("a malformed value"), R_DAY),
"0x8007001f": ("Internal error: device failure", internal("a general device failure"), R_DAY),
"0x80041005": ("Internal error: sync knowledge decreased", internal("sync knowledge going backwards"), R_DAY),
"0x80004003": ("Internal error: invalid pointer",
    internal("an invalid pointer"),
    "Upgrade to the latest File Sync agent; if the error stays, open a support case."),
"0x8007052e": ("Logon failure",
    "An operation failed because authentication was refused (seen in sync sessions and while tiering).", R_DAY),
"0x8007051f": ("No logon servers available",
    "An operation failed because no server was available to authenticate it.", R_DAY),
"0x80c86003": ("The Azure account is disabled",
    "Azure reports the account behind the storage as disabled, typically because its subscription is disabled.",
    "Make sure the storage account's subscription is enabled."),
"0x80c8307c": ("Shared-key access to the storage account is turned off",
    "The storage account has allowSharedKeyAccess = false. File Sync's deployment guide lists account key access as a "
    "prerequisite, and no Microsoft document says it may be switched off once managed identities are in use; it certainly "
    "breaks sync while the Storage Sync Service lacks useIdentity or a registered server still authenticates with its "
    "certificate.",
    "Allow storage account key access again (Set-AzStorageAccount -AllowSharedKeyAccess $true); this is the documented fix. "
    "Finishing the move to managed identities does not make key access optional."),
"0x80c8003f": ("Server's sync database needs an update",
    "Sync has to bring the database on the server to a new epoch before continuing.", R_CLEARS),
"0x80c87104": ("Volume is offline",
    "The volume that holds the server endpoint isn't available.",
    "Check that the volume is attached and online."),
"0x80c83099": ("Private endpoint settings block access",
    "The storage account's private endpoint or network configuration keeps File Sync or the server out (seen in sync "
    "sessions, tiering and recall). A Storage Sync Service that takes traffic from virtual networks only "
    "(AllowVirtualNetworksOnly) without an approved private endpoint of its own shuts its servers out the same way.",
    "Review the storage account's private endpoints and public network access so that the server and the File Sync service can "
    "reach it (for example DNS resolving to the private endpoint from the server). A Storage Sync Service set to "
    "AllowVirtualNetworksOnly needs an approved private endpoint, and servers that resolve its names through the "
    "privatelink.afs.azure.net zone (privatelink.afs.azure.us in US Government, privatelink.afs.azure.cn in China)."),
"0x80c80248": ("Server and share must be reconciled first",
    "Before uploading, sync needs to reconcile the server's content with the share.", R_CLEARS),
"0x800704c3": ("Conflicting credentials for the same server",
    "The same user is connected to the server or share more than once under different user names.",
    "Disconnect the existing connections, then retry."),
"0x80c80050": ("Server's SSL certificate invalid or expired",
    "The certificate the server presents is not valid or has expired.", R_CERT),
# --- cloud tiering errors --------------------------------------------------------------------------
"0x80c86045": ("Initial upload still running",
    "The file can't be tiered until the endpoint's first upload to the cloud has finished.", R_NOTHING),
"0x80c86043": ("File is in use, not tiered",
    "The file is open, so it isn't tiered right now.", R_NOTHING),
"0x80c80241": ("File excluded from sync, so not tiered",
    "Files that sync excludes are never tiered.", "Nothing to do."),
"0x80c86042": ("File to tier not found on the server",
    "The file tiering wanted to process no longer exists on the server.",
    "Nothing, unless the file should exist: then check it is really there."),
"0x80c83053": ("File no longer exists in the Azure file share",
    "Tiering skipped the file because it was deleted in the share.", R_NOTHING),
"0x80c8600e": ("Azure Storage is busy",
    "The storage service answered busy while tiering; treated as a network problem.",
    "Nothing at first; if it persists check the server's connectivity to the share."),
"0x80c80261": ("File is below the minimum size for tiering",
    "Files smaller than twice the volume's cluster size are never tiered, by design.", "Nothing to do."),
"0x80c83007": ("Azure Storage error",
    "Tiering failed because of a problem on the Azure Storage side.",
    "Open a support case if it persists."),
"0x800703e3": ("File was recalled while being tiered",
    "A recall of the same file ran at the same time, so tiering stopped.", R_NOTHING),
"0x80c80264": ("File not yet synced, so not tiered",
    "Only files already synced to the share can be tiered.", R_NOTHING),
"0x80070001": ("Tiering filter not running",
    "The cloud tiering filter driver (storagesync.sys) isn't running; the article also lists .sid files for this code.",
    R_FILTER),
"0x80c86041": ("Tiering filter driver not loaded",
    "The cloud tiering filter driver (storagesync.sys) isn't loaded, so nothing can be tiered.", R_FILTER),
"0x80070070": ("Disk full",
    "The volume ran out of space. Tiering needs at least 100 MiB free; a recall needs room for the file it brings back.",
    "Free space on the volume (for recall, Invoke-StorageSyncCloudTiering can make room by tiering other files)."),
"0x80070490": ("Element not found (file not yet synced)",
    "The file hasn't been synced to the share yet, so it can't be tiered.", R_NOTHING),
"0x80c80262": ("Reparse point type that tiering can't handle",
    "The file has a reparse point tiering can't handle. Data Deduplication works only as described in the planning guide; "
    "other reparse point types are unsupported.",
    "For deduplicated volumes follow the File Sync planning guide; other reparse points aren't supported."),
"0x80c83052": ("File changed while being tiered",
    "The file was modified during tiering, so its stream no longer matches.", R_NOTHING),
"0x80c80269": ("File's replica not found (not yet synced)",
    "The file isn't synced yet, so tiering has nothing to point at.", R_NOTHING),
"0x800705aa": ("Server ran short of system resources",
    "While tiering, the server ran short of system resources. During recall (agent 19 and later) renames also fail this way "
    "when the FileSyncSvc service isn't running.",
    "Find what exhausts the server's resources; for recall, make sure FileSyncSvc is running."),
"0x8e5e03fe": ("Tiering database I/O error",
    "Writing to the cloud tiering database failed at the disk level.", "Run chkdsk and check the disk hardware."),
"0x8e5e0442": ("Tiering database not running",
    "The cloud tiering database instance isn't available.", "Restart the FileSyncSvc service or the server."),
"0x80c80285": ("Extension is on the tiering exclusion list",
    "The file's extension is on the custom tiering exclusion list, so it stays local.",
    "If it should be tiered, edit the GhostingExclusionList value under HKLM\\SOFTWARE\\Microsoft\\Azure\\StorageSync."),
"0x80c86050": ("Endpoint not ready for tiering",
    "The initial upload or a reconciliation is still running, so tiering waits.", R_NOTHING),
"0x80c8304e": ("Unexpected tiering error (retry not supported)", T_TIER_UNEXPECTED.format(n="a work item that can't be retried"), R_CLEARS),
"0x80c8309c": ("Unexpected tiering error (batched change detection)", T_TIER_UNEXPECTED.format(n="batched change detection failed"), R_CLEARS),
"0x80c830a7": ("The share has the maximum number of snapshots",
    "The Azure file share already has the maximum number of snapshots, so tiering can't make the one it needs.",
    "Upgrade the agent and run the DeepScrubbingScheduledTask task on the server."),
"0x80c80367": ("Unexpected tiering error (snapshot retries exhausted)", T_TIER_UNEXPECTED.format(n="a snapshot operation ran out of attempts"), R_CLEARS),
"0x80c8306f": ("Unexpected tiering error (ETag mismatch)", T_TIER_UNEXPECTED.format(n="a version tag mismatch"), R_CLEARS),
"0x80c8304c": ("Tiering timed out polling an operation",
    "Waiting for an asynchronous operation took too long.", R_CLEARS),
"0x80070299": ("Unexpected tiering error (file system limitation)", T_TIER_UNEXPECTED.format(n="a file system limitation"), R_CLEARS),
"0x80c83054": ("Unexpected tiering error (unknown global id)", T_TIER_UNEXPECTED.format(n="an unknown global id"), R_CLEARS),
"0x80c8309b": ("Unexpected tiering error (per-item change detection)", T_TIER_UNEXPECTED.format(n="per-item change detection failed"), R_CLEARS),
"0x80c83034": ("Access forbidden",
    "Azure Storage refused the tiering request.",
    "Check the storage account's access settings (firewall, network rules, permissions) and the server's proxy settings."),
"0x80070034": ("Unexpected tiering error (duplicate name)", T_TIER_UNEXPECTED.format(n="a duplicate name"), R_CLEARS),
"0x8e5e0450": ("Unexpected tiering error (database session)", T_TIER_UNEXPECTED.format(n="an invalid database session"), R_CLEARS),
"0x80092004": ("Authentication certificate missing",
    "The certificate the server authenticates with is gone, so tiering can't reach the service.", R_CERT),
"0x80c80020": ("Cluster service (clussvc) is stopped",
    "On a cluster node, the Cluster service (clussvc) must run for tiering.", "Start the Cluster service (clussvc)."),
"0x80c83036": ("Unexpected tiering error (not found)", T_TIER_UNEXPECTED.format(n="something it looked up was missing"), R_CLEARS),
"0x801f0005": ("Unexpected tiering error (filter name request)", T_TIER_UNEXPECTED.format(n="an invalid filter name request"), R_CLEARS),
"0x80071126": ("Internal tiering error (not a reparse point)", T_TIER_UNEXPECTED.format(n="a file lacked the expected reparse point"), R_CLEARS),
"0x8007046a": ("Server short of memory",
    "The server didn't have enough memory for tiering.", R_MEMORY),
"0x80c86040": ("Unexpected response header from the share",
    "The Azure file share returned a header tiering didn't expect.", R_DAY),
"0x80c80339": ("TLS certificate has an invalid date",
    "The certificate the server received is expired or not yet valid, often a sign of TLS interception.", R_TLS),
"0x80c80337": ("TLS certificate from an untrusted authority",
    "The certificate the server received was issued by an authority it doesn't trust, often a sign of TLS interception.", R_TLS),
"0x80c80001": ("Connection failed (protocol format)",
    "The agent could not make sense of the connection, typically because of a wrong proxy setting.",
    "Correct or remove the agent's proxy setting."),
"0x800706d9": ("No RPC endpoint available",
    "A failure outside File Sync: the RPC endpoint mapper had no endpoint.", R_CLEARS),
"0x80070571": ("Disk is corrupt",
    "The disk structure holding the file is damaged.", R_CHKDSK),
"0x8002802b": ("Unexpected tiering error (element not found)", T_TIER_UNEXPECTED.format(n="a missing type element"), R_CLEARS),
"0x80072f00": ("Connection must be retried",
    "The HTTP stack asked for the request to be sent again.", R_CLEARS),
"0x80c86093": ("Known issue: stable version check failed",
    "A known File Sync issue in which a version id check fails. Tiering simply skips the file; recall of it fails.",
    "For tiering, ignore it. For recall, copy the file manually."),
# --- recall errors ---------------------------------------------------------------------------------
"0x80070079": ("Recall timed out",
    "An I/O wait timed out during recall, for example under heavy load, scarce resources, network trouble or throttling.",
    "Nothing at first; open a support case if it goes on for hours."),
"0x80070036": ("Network busy", "The network was too busy for the recall.", "Check the server's connectivity to the share."),
"0x80c80037": ("Server endpoint was deleted (orphaned tiered file)",
    "The tiered file belongs to a server endpoint that no longer exists, so it can't be recalled.",
    "Restore these orphaned tiered files from a backup, or remove them."),
"0x80c86002": ("File not accessible in the share",
    "The Azure resource behind the tiered file couldn't be found.",
    "Check the file exists in the Azure file share, and upgrade the agent."),
"0x8007000e": ("Out of memory", "The server ran out of memory during recall.", R_MEMORY),
"0x80090352": ("Issuing CA not trusted",
    "A TLS-terminating proxy or inspection device sits between the server and Azure.",
    "Handle it like 0x800b0109: exempt File Sync traffic, or if the inspection is intended set SkipVerifyingPinnedRootCertificate."),
"0x80c86047": ("Share snapshot not found",
    "The tiered file points to a version that is no longer in the share.",
    "Restore the file from an Azure file share snapshot."),
"0x8007045d": ("I/O device error", internal("a device I/O error during recall"), R_DAY),
"0x80c80310": ("Invalid download response",
    "The File Sync download answer for the recall was not valid.", R_DAY),
"0x80070021": ("Part of the file is locked",
    "Another process locked a region of the file.", R_NOTHING),
"0x80c8604c": ("Snapshot not found, sync pending", internal("a snapshot not found while sync is pending"), R_NOTHING),
"0x80c80312": ("Recall download was cut off",
    "The data stream of a recall was cut off.", R_NETTEST),
"0x80c8600c": ("Azure internal error", "The storage service reported an internal error during recall.", R_NOTHING),
"0x80c8600b": ("Azure invalid range", "The storage service rejected a byte range during recall (a service-side fault).", R_NOTHING),
"0x8007045b": ("Recall stopped: the server is shutting down", "The server is shutting down, so the recall stopped.", "Nothing to do."),
"0x80072efd": ("No connection to Azure for the recall", "The server could not connect to Azure for the recall.", R_NETTEST),
"0x80c86048": ("Azure file snapshot not found",
    "The cloud copy of the tiered file is missing, which follows an operation File Sync doesn't support.", R_ORIGINAL),
"0x80072f78": ("Invalid server response",
    "The connection produced an answer the agent couldn't use.", R_NETTEST),
"0x8007139f": ("Invalid state", internal("an object in the wrong state during recall"), R_NOTHING),
"0x800705ad": ("Working set quota too small", "The recall ran out of memory quota.", R_MEMORY),
"0x80070008": ("Server ran out of memory during recall", "The server didn't have enough memory for the recall.", R_MEMORY),
"0x80c80072": ("Bad gateway", "A gateway between the server and Azure returned an error.", R_NETTEST),
"0x80190193": ("Forbidden (HTTP 403): server identity lacks access to the share",
    "The request was refused. For a server using its managed identity (and in Test-StorageSyncNetworkConnectivity) it means "
    "the server's identity lacks Storage File Data Privileged Contributor on the file share (at "
    ".../fileServices/default/fileshares/{share} or above).",
    "Grant the server's identity (the registered server's applicationId) Storage File Data Privileged Contributor on the share; "
    "Set-AzStorageSyncServerEndpointPermission does this."),
"0x80c8604e": ("Conflict copy can't be recalled",
    "The file is the losing copy of a sync conflict and its cloud data is no longer available.",
    "Delete the file if you don't need it."),
"0x80c80075": ("Access token failure", internal("obtaining an access token failed badly"),
    "Nothing at first; open a support case if it lasts over a day."),
"0x80c8005b": ("The Azure Files service could not be reached", "The Azure Files service could not be reached for the recall.", R_DAY),
"0x80c86000": ("Storage could not authenticate the request",
    "Azure Storage rejected the request's authentication; usually its firewall doesn't admit the server.",
    "Make sure the storage firewall accepts the server's IP, subnet or virtual network."),
"0x80072ef1": ("Operation cancelled (WinHTTP)", "The HTTP operation was cancelled, so no connection was made.", R_NETTEST),
"0x80c80338": ("TLS certificate names the wrong host",
    "The certificate the server received doesn't match the host name, often a sign of TLS interception.", R_TLS),
"0x80c8000c": ("Unknown URI", internal("an unknown URI"), R_NOTHING),
"0x80c8033a": ("TLS certificate validation problem",
    "The server could not validate the TLS certificate it received.", R_TLS),
"0x80c8603d": ("Unknown Azure failure", "Azure reported a failure without details.", R_NOTHING),
"0x80c8033f": ("Token lifetime too long", internal("a token with too long a lifetime"), R_NOTHING),
"0x80190190": ("Bad request (HTTP 400)", "The request was refused as malformed, so no connection was established.", R_NOTHING),
"0x80c86036": ("Parent folder missing in the share",
    "The tiered file's parent path isn't in the share, which follows an operation File Sync doesn't support.", R_ORIGINAL),
"0x80c86049": ("File missing from the share snapshot",
    "The data the tiered file needs is not in the share snapshot.", R_ORIGINAL),
"0x80c80311": ("Download hash conflict", internal("a hash mismatch on download"), R_DAY),
"0x800700a4": ("Thread limit reached", internal("no more threads could be created"), R_NOTHING),
"0x80070147": ("Offset alignment violation", internal("a misaligned I/O offset"), R_DAY),
"0x80090321": ("Security buffer too small", internal("a security buffer that was too small"), R_DAY),
"0x801901a0": ("Range not satisfiable (HTTP 416)", internal("a requested byte range outside the file"), R_DAY),
"0x80c80066": ("Cluster id mismatch",
    "The cluster id seen on the server differs from the one it was registered with.", "Open a case with Microsoft support."),
"0x80c8032d": ("Proxy asks for authentication",
    "The proxy asks for authentication the agent doesn't send.", "Update the proxy credentials in the agent's proxy settings."),
"0x8007007a": ("Buffer too small", internal("a buffer that was too small"), R_NOTHING),
"0x8019012e": ("HTTP redirect not supported",
    "A proxy or network device redirected the request; File Sync doesn't follow redirects.",
    "Turn off HTTP redirection for File Sync traffic on the proxy."),
"0x800706be": ("RPC call failed", "A remote procedure call failed for an unknown reason.", R_NETTEST),
"0x80072747": ("No socket buffer space", internal("the network stack ran out of buffer space"), R_NETTEST),
# --- managed identity --------------------------------------------------------------------------------
"0x80c86063": ("Registered server's identity lacks access to the share",
    "Files fail to sync because the server authenticates with its managed identity, and that identity lacks Storage File Data "
    "Privileged Contributor on the file share (at .../fileServices/default/fileshares/{share} or above), or a deny assignment "
    "blocks it.",
    "Grant the server's identity Storage File Data Privileged Contributor on the share; "
    "Set-AzStorageSyncServerEndpointPermission does this."),
# --- sync group management ---------------------------------------------------------------------------
"0x80c80226": ("Server endpoint on the system volume with cloud tiering",
    "Creating the server endpoint failed (MgmtServerJobFailed): the path is on the system volume and cloud tiering is on, which "
    "isn't allowed.", "Turn cloud tiering off for that endpoint, or choose a path on another volume."),
"0x80070015": ("Server endpoint path's device isn't ready",
    "Creating the server endpoint failed (MgmtServerJobFailed): the volume of the path isn't ready or isn't a local volume.",
    "Use a path on a locally attached NTFS volume."),
"0x80c80328": ("Server endpoint path isn't on NTFS",
    "Creating the server endpoint failed (MgmtServerJobFailed): the volume isn't formatted with NTFS.",
    "Use a path on an NTFS volume."),
"0x80c8710d": ("System Volume Information is compressed",
    "Creating the server endpoint failed (MgmtServerJobFailed): the volume's System Volume Information folder is compressed.",
    "Decompress it with 'compact /u /s' run as SYSTEM (for example through PsExec)."),
"0x80c80067": ("Too many server endpoints on this server",
    "A server can host at most 30 server endpoints; this one already has that many.",
    "Remove server endpoints you don't need or use another server."),
"0x80c80015": ("Another server endpoint already covers this path",
    "Creating the server endpoint failed (MgmtServerJobFailed): the path overlaps an existing server endpoint.",
    "Choose a path that no other server endpoint covers."),
"0x80c80077": ("Orphaned tiered files in the path",
    "Creating the server endpoint failed (MgmtServerJobFailed): the path still holds tiered files of an earlier endpoint.",
    "Wait until the cleanup finishes (events 6662 and 6661 in the telemetry log) or remove the orphaned tiered files."),
"0x80c87013": ("Server offline while deleting a server endpoint",
    "Deleting the server endpoint expired (MgmtServerJobExpired) because the server didn't answer.",
    "Bring the server back online; if it's gone for good, unregister the server."),
"0x80c87038": ("Too many share snapshots to delete the endpoint",
    "Deleting the server endpoint failed (MgmtFileShareSnapshotCountExceeded): the share holds too many snapshots.",
    "Delete share snapshots that File Sync created (initiator AzureFileSync), then retry."),
"0x80c87014": ("Server can't reach the service (event 9301)",
    "Event 9301 (GetNextJob) reports that the server can't reach File Sync: a firewall, a proxy, or the TLS cipher suite order "
    "gets in the way.",
    "Allow outbound port 443, check the proxy configuration, run Test-StorageSyncNetworkConnectivity, and review the server's "
    "cipher suite order."),
"0x80c8700c": ("Server certificate expired or deleted (event 9301)",
    "Event 9301 (GetNextJob) reports that the server's authentication certificate expired or was deleted.",
    "Run Debug-StorageSyncServer -Diagnose on the server, then " + R_CERT[0].lower() + R_CERT[1:]),
}

ARTICLE_NOTE = ("Microsoft's article prints this code's decimal as {alias}, which is wrong (the correct value is {dec}); "
                "both are accepted.")

# ----------------------------------------------------------------------------------------------------

def norm_hex(h):
    return "0x%08x" % int(h, 16)

def signed(v):
    return v - (1 << 32) if v >= 1 << 31 else v

def words(s):
    # "|" separates removed facts so that no run spans across one.
    return re.findall(r"[a-z0-9]+|\|", s.lower())

# Facts that may appear word for word (host names, portal labels, commands); removed before comparing.
FACT_PHRASES = [
    "www.microsoft.com/pki/mscorp/cps", "microsoft.com/pki/mscorp/cps", "crl.microsoft.com", "mscrl.microsoft.com",
    "ocsp.msocsp.com", "ocsp.digicert.com", "crl3.digicert.com",
    "Allow Azure services on the trusted services list to access this storage account",
    "Allow Azure services on the trusted services list", "SMB 3.1.1", "NTLMv2", "AES-128-GCM",
    "file.core.windows.net -Port 443",
]

def strip_facts(s):
    for f in sorted(FACT_PHRASES, key=len, reverse=True):
        s = s.replace(f, " | ")
    return s

def shares_run(a, b, n=6):
    wa, wb = words(strip_facts(a)), words(strip_facts(b))
    grams = {tuple(wb[i:i + n]) for i in range(len(wb) - n + 1) if "|" not in wb[i:i + n]}
    return any(tuple(wa[i:i + n]) in grams for i in range(len(wa) - n + 1))

def main(path):
    rows = list(csv.DictReader(open(path, encoding="utf-8"), delimiter="\t"))
    entries = {}
    for r in rows:
        code = norm_hex(r["hresult_hex"])
        e = entries.setdefault(code, {"rows": []})
        e["rows"].append(r)
        if int(r["hresult_dec_computed"]) != signed(int(code, 16)):
            sys.exit("computed decimal disagrees for %s" % code)
    missing = [c for c in entries if c not in TEXT]
    extra = [c for c in TEXT if c not in entries and c not in EXTRA_CODES]
    if missing or extra:
        sys.exit("text missing for %s; text without code %s" % (missing, extra))

    out = ["# File Sync error catalog: generated by gen_catalog.py from facts in Microsoft's File Sync troubleshooting",
           "# articles; all summaries, explanations and remediations are this project's own words.",
           "# Columns: code, decimal, names (;), category, doc decimal aliases (;), contexts (table=label;), summary,",
           "# explanation, remediation. The checks that explain a code are declared by the checks (src/checks/).",
           "code\tdecimal\tnames\tcategory\tdoc_aliases\tcontexts\tsummary\texplanation\tremediation"]
    prio = list(TABLES)
    problems = []
    for code in sorted(entries, key=lambda c: signed(int(c, 16))):
        rs = sorted(entries[code]["rows"], key=lambda r: prio.index(r["table"]))
        dec = signed(int(code, 16))
        names = []
        for r in rs:
            n = r["error_string"].strip()
            if n and not n.startswith("(") and n not in SHARED_LABELS and n not in names:
                names.append(n)
        for n in EXTRA_NAMES.get(code, []):
            if n not in names:
                names.append(n)
        cats = {FACT_CATEGORY[r["category"]] for r in rs if r["category"]}
        if len(cats) > 1:
            sys.exit("conflicting categories for %s" % code)
        category = cats.pop() if cats else TABLE_CATEGORY[rs[0]["table"]]
        contexts = []
        found = [(r["table"], r["error_string"].strip()) for r in rs] + EXTRA_CONTEXTS.get(code, [])
        for table, label in sorted(found, key=lambda tl: prio.index(tl[0])):
            t = TABLES[table]
            if label.startswith("("):
                label = ""
            item = "%s=%s" % (t, label)
            if item not in contexts:
                contexts.append(item)
        aliases = []
        for r in rs:
            d = int(r["hresult_dec_doc"])
            if d != dec and d not in aliases:
                aliases.append(d)
        summary, expl, rem = TEXT[code]
        for a in aliases:
            expl = expl + " " + ARTICLE_NOTE.format(alias=a, dec=dec)
        for r in rs:
            for theirs in (r["issue_or_heading"], r["remediation"]):
                for mine in (summary, expl, rem):
                    if mine.strip().rstrip(".").lower() == theirs.strip().rstrip(".").lower():
                        problems.append("%s: text equals the reference: %r" % (code, mine))
                    if shares_run(mine, theirs):
                        problems.append("%s: text too close to the reference: %r ~ %r" % (code, mine, theirs))
        fields = [code, str(dec), ";".join(names), category, ";".join(map(str, aliases)),
                  ";".join(contexts), summary, expl, rem]
        for f in fields:
            if "\t" in f or "\n" in f:
                sys.exit("tab or newline in %s" % code)
        out.append("\t".join(fields))
    if problems:
        sys.exit("\n".join(problems))
    sys.stdout.write("\n".join(out) + "\n")

if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference/error-catalog.tsv")
