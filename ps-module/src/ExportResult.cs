// What Export-AzFileSyncSnapshot saved: the file, the deployment and how much of it, filled from the
// snapshot the core collected.
using System;
using System.Collections.Generic;
using System.Globalization;

namespace AzFileSync.ManagedIdentity
{
    /// <summary>A snapshot file Export-AzFileSyncSnapshot wrote.</summary>
    public sealed class FileSyncSnapshotInfo
    {
        internal FileSyncSnapshotInfo(string path, Dictionary<string, object> snapshot, string resourceId)
        {
            Path = path;
            ResourceId = resourceId;
            var target = Json.Obj(snapshot, "target");
            SubscriptionId = Json.Str(target, "subscriptionId");
            ResourceGroupName = Json.Str(target, "resourceGroup");
            StorageSyncServiceName = Json.Str(target, "name");
            DateTime at;
            if (DateTime.TryParse(Json.Str(snapshot, "collectedAt"), CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out at))
            {
                CollectedAt = at;
            }
            var services = Json.Arr(snapshot, "services") ?? new List<object>();
            ServiceCount = services.Count;
            foreach (var s in services)
            {
                var service = s as Dictionary<string, object>;
                ServerCount += (Json.Arr(service, "registeredServers") ?? new List<object>()).Count;
                SyncGroupCount += (Json.Arr(service, "syncGroups") ?? new List<object>()).Count;
            }
            StorageAccountCount = (Json.Arr(snapshot, "storageAccounts") ?? new List<object>()).Count;
            RoleAssignmentCount = (Json.Arr(snapshot, "roleAssignments") ?? new List<object>()).Count;
            CollectionErrorCount = (Json.Arr(snapshot, "collectionErrors") ?? new List<object>()).Count;
            try { Length = new System.IO.FileInfo(path).Length; } catch (System.IO.IOException) { }
        }

        /// <summary>The file written (full path); Test-AzFileSyncManagedIdentity -SnapshotPath reads it.</summary>
        public string Path { get; private set; }
        /// <summary>The collected service's (or resource group's) ARM id.</summary>
        public string ResourceId { get; private set; }
        public string SubscriptionId { get; private set; }
        public string ResourceGroupName { get; private set; }
        /// <summary>Null when a whole resource group was collected.</summary>
        public string StorageSyncServiceName { get; private set; }
        /// <summary>When the deployment was read (UTC).</summary>
        public DateTime? CollectedAt { get; private set; }
        public int ServiceCount { get; private set; }
        public int ServerCount { get; private set; }
        public int SyncGroupCount { get; private set; }
        public int StorageAccountCount { get; private set; }
        public int RoleAssignmentCount { get; private set; }
        /// <summary>Facts that could not be read (the checks that need them say Unknown).</summary>
        public int CollectionErrorCount { get; private set; }
        /// <summary>The file's size in bytes.</summary>
        public long Length { get; private set; }
    }
}
