"""A Keystone token from a user name and password, for the programs that act on their
own behalf (glance-cache-manage, glance-cache-prefetcher)."""
from keystoneauth1 import exceptions
from keystoneauth1 import session
from keystoneauth1.identity import generic


def get_token(auth_url, username, password, project_name=None, project_id=None,
              user_domain_id='default', project_domain_id='default', insecure=False):
    """A token scoped to the project (by name or id) from the Keystone at
    ``auth_url`` (versioned or not: the identity API version is discovered).

    :raises RuntimeError: Keystone could not be reached or refused the credentials.
    """
    auth = generic.Password(auth_url=auth_url, username=username, password=password,
                            project_name=project_name, project_id=project_id,
                            user_domain_id=user_domain_id,
                            project_domain_id=project_domain_id)
    try:
        return session.Session(auth=auth, verify=not insecure).get_token()
    except exceptions.ClientException as e:
        raise RuntimeError('Could not get a token from Keystone at %s: %s'
                           % (auth_url, e)) from e
