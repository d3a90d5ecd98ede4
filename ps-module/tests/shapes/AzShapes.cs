// Stand-ins for the objects Az.StorageSync and Az.Accounts hand to scripts, with their real namespaces, type
// names, property names and property types (nullable where Az declares them nullable), so the module's
// cmdlets meet in the tests what they meet in a user's session. Loaded with Add-Type by the Pester suite and
// compiled into the engine tests. Sources (Azure/azure-powershell):
//   src/StorageSync/StorageSync/Models/PSResourceBase.cs, PSStorageSyncService.cs, PSRegisteredServer.cs,
//   PSSyncGroup.cs, PSCloudEndpoint.cs, PSServerEndpoint.cs, PSServerEndpointSyncStatus.cs,
//   PSSyncSessionStatus.cs; src/Accounts/Authentication.ResourceManager/Models/PSAzureContext.cs,
//   PSAzureRmAccount.cs, PSAzureSubscription.cs, PSAzureTenant.cs, PSAzureEnvironment.cs;
//   src/Accounts/Accounts/Models/PSAccessToken.cs, PSSecureAccessToken.cs.
// Only the members the module could read are all here; a few Az members of no use to it are left out.
using System;
using System.Collections.Generic;
using System.Security;

namespace Microsoft.Azure.Commands.StorageSync.Models
{
    public abstract class PSResourceBase
    {
        public string ResourceId { get; set; }
        public string ResourceGroupName { get; set; }
        public string Type { get; set; }
    }

    public class PSStorageSyncService : PSResourceBase
    {
        public string Location { get; set; }
        public string StorageSyncServiceName { get; set; }
        public string IncomingTrafficPolicy { get; set; }
        public IList<object> PrivateEndpointConnections { get; set; }
        public IDictionary<string, string> Tags { get; set; }
        public string ProvisioningState { get; set; }
        public bool? UseIdentity { get; set; }
        public object Identity { get; set; }
    }

    public class PSRegisteredServer : PSResourceBase
    {
        public string StorageSyncServiceName { get; set; }
        public string ServerId { get; set; }
        public string ServerCertificate { get; set; }
        public string AgentVersion { get; set; }
        public string AgentVersionStatus { get; set; }
        public DateTime? AgentVersionExpirationDate { get; set; }
        public string ServerOSVersion { get; set; }
        public int? ServerManagementErrorCode { get; set; }
        public string LastHeartBeat { get; set; }
        public string ProvisioningState { get; set; }
        public string ServerRole { get; set; }
        public string ClusterId { get; set; }
        public string ClusterName { get; set; }
        public string StorageSyncServiceUid { get; set; }
        public string LastWorkflowId { get; set; }
        public string LastOperationName { get; set; }
        public string DiscoveryEndpointUri { get; set; }
        public string ResourceLocation { get; set; }
        public string ServiceLocation { get; set; }
        public string FriendlyName { get; set; }
        public string ManagementEndpointUri { get; set; }
        public string MonitoringEndpointUri { get; set; }
        public string MonitoringConfiguration { get; set; }
        public string ServerName { get; set; }
        public string ApplicationId { get; set; }
        public bool? Identity { get; set; }
        public string LatestApplicationId { get; set; }
        public string ActiveAuthType { get; set; }
    }

    public class PSSyncGroup : PSResourceBase
    {
        public string SyncGroupName { get; set; }
        public string StorageSyncServiceName { get; set; }
        public string UniqueId { get; set; }
        public string SyncGroupStatus { get; set; }
    }

    public class PSCloudEndpoint : PSResourceBase
    {
        public string SyncGroupName { get; set; }
        public string StorageSyncServiceName { get; set; }
        public string CloudEndpointName { get; set; }
        public string StorageAccountResourceId { get; set; }
        public string AzureFileShareName { get; set; }
        public string StorageAccountTenantId { get; set; }
        public string FriendlyName { get; set; }
        public bool? BackupEnabled { get; set; }
        public string LastWorkflowId { get; set; }
        public string LastOperationName { get; set; }
        public string PartnershipId { get; set; }
        public string ProvisioningState { get; set; }
        public object ChangeEnumerationStatus { get; set; }
    }

    public class PSServerEndpoint : PSResourceBase
    {
        public string SyncGroupName { get; set; }
        public string StorageSyncServiceName { get; set; }
        public string ServerLocalPath { get; set; }
        public string ServerResourceId { get; set; }
        public string ServerEndpointName { get; set; }
        public string ProvisioningState { get; set; }
        public string LastWorkflowId { get; set; }
        public string LastOperationName { get; set; }
        public string FriendlyName { get; set; }
        public string CloudTiering { get; set; }
        public int? VolumeFreeSpacePercent { get; set; }
        public int? TierFilesOlderThanDays { get; set; }
        public string OfflineDataTransfer { get; set; }
        public string OfflineDataTransferShareName { get; set; }
        public string OfflineDataTransferStorageAccountResourceId { get; set; }
        public string OfflineDataTransferStorageAccountTenantId { get; set; }
        public string InitialDownloadPolicy { get; set; }
        public string LocalCacheMode { get; set; }
        public string InitialUploadPolicy { get; set; }
        public string ServerName { get; set; }
        public PSServerEndpointSyncStatus SyncStatus { get; set; }
        public object CloudTieringStatus { get; set; }
        public object RecallStatus { get; set; }
    }

    public class PSServerEndpointSyncStatus
    {
        public string DownloadHealth { get; set; }
        public string UploadHealth { get; set; }
        public string CombinedHealth { get; set; }
        public string SyncActivity { get; set; }
        public DateTime? LastUpdatedTimestamp { get; set; }
        public PSSyncSessionStatus UploadStatus { get; set; }
        public PSSyncSessionStatus DownloadStatus { get; set; }
        public object UploadActivity { get; set; }
        public object DownloadActivity { get; set; }
        public string OfflineDataTransferStatus { get; set; }
        public long? TotalPersistentFilesNotSyncingCount { get; set; }
        public object BackgroundDataDownloadActivity { get; set; }
    }

    public class PSSyncSessionStatus
    {
        /// <summary>An HRESULT; 0 is success; null when no session ran in this direction.</summary>
        public int? LastSyncResult { get; set; }
        public DateTime? LastSyncTimestamp { get; set; }
        public DateTime? LastSyncSuccessTimestamp { get; set; }
        public long? LastSyncPerItemErrorCount { get; set; }
        public long? PersistentFilesNotSyncingCount { get; set; }
        public long? TransientFilesNotSyncingCount { get; set; }
        public IList<object> FilesNotSyncingErrors { get; set; }
        public string LastSyncMode { get; set; }
    }
}

namespace Microsoft.Azure.Commands.Profile.Models
{
    public class PSAzureRmAccount
    {
        public string Id { get; set; }
        public string Type { get; set; }
        public List<string> Tenants { get; set; }
        public IDictionary<string, string> ExtendedProperties { get; set; }
        public override string ToString() { return Id; }
    }

    public class PSAzureSubscription
    {
        public string Name { get; set; }
        public string Id { get; set; }
        public string State { get; set; }
        public string SubscriptionId { get { return Id; } }
        public string TenantId { get; set; }
        public string HomeTenantId { get; set; }
        public override string ToString() { return Id; }
    }

    public class PSAzureTenant
    {
        public string Id { get; set; }
        public string TenantId { get { return Id; } }
        public override string ToString() { return Id; }
    }

    public class PSAzureEnvironment
    {
        public string Name { get; set; }
        public string ResourceManagerUrl { get; set; }
        public string ActiveDirectoryAuthority { get; set; }
        /// <summary>The legacy Azure AD Graph (graph.windows.net), not Microsoft Graph.</summary>
        public string GraphUrl { get; set; }
        /// <summary>Holds MicrosoftGraphUrl and MicrosoftGraphEndpointResourceId (case-insensitive keys).</summary>
        public IDictionary<string, string> ExtendedProperties { get; set; }
        public override string ToString() { return Name; }
    }

    /// <summary>Get-AzAccessToken before Az.Accounts 5.0 (Token as a string).</summary>
    public class PSAccessToken
    {
        public string Token { get; set; }
        public DateTimeOffset ExpiresOn { get; set; }
        public string TenantId { get; set; }
        public string UserId { get; set; }
        public string Type { get { return "Bearer"; } }
    }

    /// <summary>Get-AzAccessToken from Az.Accounts 5.0 (Token as a SecureString).</summary>
    public class PSSecureAccessToken
    {
        public SecureString Token { get; set; }
        public DateTimeOffset ExpiresOn { get; set; }
        public string TenantId { get; set; }
        public string UserId { get; set; }
        public string Type { get { return "Bearer"; } }
    }
}

namespace Microsoft.Azure.Commands.Profile.Models.Core
{
    using Microsoft.Azure.Commands.Profile.Models;

    public class PSAzureContext
    {
        public string Name { get; set; }
        public PSAzureRmAccount Account { get; set; }
        public PSAzureEnvironment Environment { get; set; }
        public PSAzureSubscription Subscription { get; set; }
        public PSAzureTenant Tenant { get; set; }
        public object TokenCache { get; set; }
        public string VersionProfile { get; set; }
        public IDictionary<string, string> ExtendedProperties { get; set; }
    }
}
